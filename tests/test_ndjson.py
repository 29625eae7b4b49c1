from __future__ import annotations

import gzip
import json

import pyarrow as pa

from loaders.landing.ndjson import gzip_members, ndjson_chunks


def test_ndjson_round_trips_awkward_strings_and_nulls() -> None:
    values = ["plain", 'quote " inside', "back\\slash", "new\nline\ttab\x01", "ünïcødé €", None, ""]
    table = pa.table({"text": pa.array(values, pa.string()), "other": pa.array(["x"] * len(values))})
    data = gzip.decompress(gzip_members(ndjson_chunks(table)))
    rows = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert [row["text"] for row in rows] == values
    assert all(row["other"] == "x" for row in rows)


def test_chunks_keep_row_order_across_chunk_boundaries() -> None:
    n = 300_000
    table = pa.table({"i": pa.array([str(i) for i in range(n)])})
    data = gzip.decompress(gzip_members(ndjson_chunks(table)))
    assert [json.loads(line)["i"] for line in data.splitlines()] == [str(i) for i in range(n)]
