"""Generator throughput: events per second at scale 10, and the ratio to a floor.

The floor is the cost of only encoding and compressing the same number of events (the
NDJSON + gzip step alone), so the ratio shows how much the rest of generation costs.
Run: make bench   (or .venv/bin/python bench/bench_generate.py --scale 10)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from loaders import generator
from loaders.generator import clickstream
from loaders.generator.entities import EntityGenerator
from loaders.landing.ndjson import gzip_members, ndjson_chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        gen = EntityGenerator(args.scale, 42, generator.DEFAULT_END_DATE)
        customers, _update, customer_facts = gen.customers()
        _products, product_facts = gen.products()
        _transactions, order_facts = gen.transactions(customer_facts, product_facts)
        started = time.perf_counter()
        events, _identity = clickstream.events(gen, customer_facts, product_facts, order_facts)
        data = gzip_members(ndjson_chunks(events))
        (Path(out) / "events.jsonl.gz").write_bytes(data)
        events_seconds = time.perf_counter() - started
        started = time.perf_counter()
        gzip_members(ndjson_chunks(events))
        floor_seconds = time.perf_counter() - started
        started = time.perf_counter()
        generator.generate(Path(out) / "all", scale=args.scale, seed=42)
        total_seconds = time.perf_counter() - started
    n = events.num_rows
    print(f"scale {args.scale}: {n:,} events")
    rate, floor_rate = n / events_seconds, n / floor_seconds
    print(f"events generated + written: {rate:,.0f} events/s ({events_seconds:.2f} s); goal >= 200,000")
    print(f"floor (encode + gzip only): {floor_rate:,.0f} events/s; ratio to floor {rate / floor_rate:.2f}")
    print(f"whole generate (all entities): {total_seconds:.2f} s, {customers.num_rows:,} customers")


if __name__ == "__main__":
    main()
