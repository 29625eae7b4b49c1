"""The Redshift tests' harness: a fake cluster and moto_server for the production code
paths, and every statement they sent checked against tests/redshift_rules.py.

Redshift cannot be reached from CI. The tests run what runs in AWS (``c360 run --target
redshift``, ``c360 redshift check``: landing to S3, Spectrum registration, dbt-redshift's
materializations, tests and unit tests, hooks, grants, write-audit-publish, the run
ledger) against moto_server's S3 and a fake Redshift at the driver level
(``tests/fake_redshift``), which records every statement. Each statement is then parsed
with sqlfluff's redshift dialect and checked against Redshift's documented restrictions.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redshift_rules import Statement, check

from c360.warehouse.dbt import target_dir

FAKE_DIR = Path(__file__).parent / "fake_redshift"
BUCKET = "c360-redshift"
DAY = "2025-11-30"


@dataclass
class Recorded:
    """What a fake cluster received (every statement, in order) and held after."""

    statements: list[dict[str, Any]]
    catalog: dict[str, Any]


def recorded(state: Path) -> Recorded:
    lines = (state / "statements.jsonl").read_text("utf-8").splitlines()
    return Recorded(
        [json.loads(line) for line in lines], json.loads((state / "catalog.json").read_text("utf-8"))
    )


def tiny_exports(
    sample_dir: Path, out: Path, hours: tuple[str, ...] = ("10", "11"), events: int = 12
) -> Path:
    """A few rows of each export of the session's sample, its events moved into a couple of
    hours of one day: enough for every model, few enough partitions to check quickly."""
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("customers", 8), ("customers_update", 3), ("products", 6), ("transactions", 12)):
        with (sample_dir / f"{name}.csv").open(newline="", encoding="utf-8") as source:
            lines = list(csv.reader(source))[: rows + 1]
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as target:
            csv.writer(target, quoting=csv.QUOTE_ALL).writerows(lines)
    with gzip.open(sample_dir / "events.jsonl.gz", "rt", encoding="utf-8") as source:
        records = [json.loads(line) for _, line in zip(range(events), source, strict=False)]
    with gzip.open(out / "events.jsonl.gz", "wt", encoding="utf-8") as target:
        for number, record in enumerate(records):
            record["occurred_at"] = f"{DAY}T{hours[number % len(hours)]}:{number:02d}:00.123456789Z"
            target.write(json.dumps(record) + "\n")
    return out


def more_events(out: Path, hour: str, count: int = 3) -> Path:
    """A later export of a few new events in an hour that already has some."""
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(out / "events.jsonl.gz", "wt", encoding="utf-8") as target:
        for number in range(count):
            event = {
                "event_id": str(uuid.UUID(int=number + 1)),
                "event_type": "page_view",
                "occurred_at": f"{DAY}t{hour}:5{number}:00z",
                "anonymous_id": "a-late",
            }
            target.write(json.dumps(event) + "\n")
    return out


@contextmanager
def fake_redshift_env(moto_server: str, state: Path) -> Iterator[Path]:
    """The environment of a Redshift run against the fake (keeping its state in ``state``)
    and moto_server, for this process (the fake installed in-process) and the dbt
    processes it starts (PYTHONPATH)."""
    import boto3

    variables = {
        "C360_FAKE_REDSHIFT": str(state),
        "C360_FAKE_REDSHIFT_MANIFEST": str(target_dir() / "manifest.json"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(FAKE_DIR), os.environ.get("PYTHONPATH")])),
        "C360_REDSHIFT_HOST": "fake-redshift.invalid",
        "DBT_ENV_SECRET_REDSHIFT_PASSWORD": "fake",
        "C360_S3_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.syspath_prepend(str(FAKE_DIR))
        import fake_redshift
        import redshift_connector

        patch.setattr(redshift_connector, "connect", fake_redshift.connect)
        s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
        if BUCKET not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=BUCKET)
        yield state


def _bound(sql: str, params: Any) -> str:
    """The statement as the cluster sees it once the driver binds the parameters."""
    if not params:
        return sql
    values = iter(params)

    def literal(value: Any) -> str:
        if value is None:
            return "null"
        if isinstance(value, bool | int | float):
            return str(value).lower() if isinstance(value, bool) else str(value)
        return "'" + str(value).replace("'", "''") + "'"

    parts = sql.split("%s")
    return parts[0] + "".join(literal(next(values)) + part for part in parts[1:])


# A statement dbt-redshift itself writes may break a rule; each exemption says why it may.
ADAPTER_EXEMPTIONS = {
    ("backslash-in-literal", "not like 'pg\\_%'"): (
        "dbt-redshift's query of view dependencies for its relation cache (redshift__get_relations),"
        " on the leader node's catalog: Redshift reads 'pg\\_%' as 'pg_%', which still leaves out"
        " the catalog's schemas; the project does not write it"
    ),
}
TEMPORARY_NAME = re.compile(r"__dbt_(tmp|backup)\d*")
QUERY_COMMENT = re.compile(r"^\s*/\*.*?\*/", re.DOTALL)
PLAIN_LITERAL = re.compile(r"'[A-Za-z0-9_]{1,120}'")


def _exempt(rule: str, sql: str) -> bool:
    return any(rule == exempt_rule and marker in sql for exempt_rule, marker in ADAPTER_EXEMPTIONS)


def _contract_models() -> set[str]:
    manifest = json.loads((target_dir() / "manifest.json").read_text("utf-8"))
    return {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if (node.get("config", {}).get("contract") or {}).get("enforced")
    }


def kind(entry: dict[str, Any]) -> str:
    """What a statement is, for the tally: who sent it and what it does."""
    text = " ".join(entry["sql"].split()).lower()
    if text.startswith("/*"):
        text = text.split("*/", 1)[1].strip()
    node = entry.get("node") or ""
    if text.startswith("create external") or (text.startswith("alter table") and "partition" in text):
        return "spectrum DDL and partitions"
    if "c360_loader" in text:
        return "spectrum committed parts"
    if node.startswith("operation.") and "on-run-start" in node:
        return "on-run-start hook"
    if node.startswith("operation.") and "on-run-end" in node:
        return "on-run-end hook"
    if text.startswith("grant"):
        return "grants"
    if node.startswith("unit_test."):
        return "unit tests"
    if node.startswith("test."):
        return "tests"
    if node.startswith("model."):
        return "models (materialization DDL and queries)"
    if node.startswith("seed."):
        return "seeds"
    if ("rename to" in text and "schema" in text) or "__audit" in text:
        return "audit and publish"
    if '"ops"' in text or " ops." in text:
        return "run ledger"
    return "catalog and other queries"


def _shape(sql: str) -> str:
    """A statement with what cannot break a rule taken out, so that each shape is checked
    once: dbt's leading query comment (it names the node), the time stamps of temporary
    relations, and the text of literals that are plain names (a relation, a schema, a
    status: no backslash, quote or anything else a rule looks at)."""
    sql = QUERY_COMMENT.sub("", sql, count=1)
    sql = TEMPORARY_NAME.sub(r"__dbt_\1", sql)
    return PLAIN_LITERAL.sub("'x'", sql)


def findings(statements: list[dict[str, Any]]) -> tuple[dict[str, list[str]], Counter[str]]:
    """Per rule, what breaks it (dbt node: detail); and how many statements of each kind."""
    contracts = _contract_models()
    seen: set[tuple[str, bool, bool]] = set()
    found: dict[str, list[str]] = {}
    kinds: Counter[str] = Counter()
    for entry in statements:
        kinds[kind(entry)] += 1
        node = entry.get("node")
        sql = _shape(_bound(entry["sql"], entry.get("params")))
        key = (sql, bool(entry.get("in_transaction")), node in contracts)
        if key in seen:
            continue
        seen.add(key)
        for finding in check(Statement(sql, node, key[1], key[2])):
            if not _exempt(finding.rule, sql):
                found.setdefault(finding.rule, []).append(f"{node}: {finding.detail}")
    return found, kinds
