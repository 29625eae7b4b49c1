"""The PostgreSQL target: COPY loading of the raw lake, and the same warehouse as DuckDB."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import PG_PASSWORD, Postgres, _as_postgres
from typer.testing import CliRunner

from app import queries as app_queries
from app.warehouse import MissingRelationError, Warehouse
from c360.cli import app
from c360.pipeline import runner
from c360.settings import Settings
from c360.warehouse.dbt import BuildFailedError, run_dbt, target_dir
from c360.warehouse.publish import PublishError, publish_warehouse
from c360.warehouse.readers import rejections
from c360.warehouse.sources import load_sources
from loaders.compaction.hours import compact
from loaders.contracts import contract
from loaders.generator import generate
from loaders.lake.layout import events_key
from loaders.lake.storage import open_lake
from loaders.landing.batch_upload import land, unland
from loaders.warehouse.postgres_raw import RawLoadError, connection_from_env, load_raw
from tests.conftest import (
    IMPLAUSIBLE_REJECTIONS,
    duckdb_tables,
    event_bytes,
    read_csv,
    write_implausible_records,
)
from tests.test_metrics import MART_SQL, MONTHLY, assert_equals_monthly_revenue, by_month, mf_query
from tests.test_record_decoder import HOSTILE

# One worker starts (and stops) the PostgreSQL cluster and runs all of these.
pytestmark = pytest.mark.xdist_group("postgres")

# Every model of these layers is compared; core is what the issue requires, staging shows
# the two engines keep and reject the same rows.
COMPARED_SCHEMAS = ("core", "staging", "analytics", "customer")


@pytest.fixture
def pg_env(
    postgres: Postgres, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    env = postgres.database(f"c360_{request.node.name.lower()[:40]}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def connection(pg_env: dict[str, str]) -> Iterator[Any]:
    """A reader's connection: each query its own transaction, so no lock outlives its read
    (pg_views' definitions lock every view, and a build replaces views)."""
    connection = connection_from_env()
    connection.autocommit = True
    yield connection
    connection.close()


def _count(connection: Any, sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


# --- loading -----------------------------------------------------------------------------------


def test_loading_twice_loads_each_file_once(sample_dir: Path, tmp_path: Path, connection: Any) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    land(sample_dir, lake)
    first = {r.table: r for r in load_raw(lake, connection)}
    assert first["raw_shop.customers"].files_loaded == 2  # the export and its update
    assert first["raw_web.events"].rows == _count(connection, "select count(*) from raw_web.events") > 0
    raw_events = len(lake.list_keys("raw/web/events/"))
    assert first["raw_web.events"].files_loaded == raw_events

    second = {r.table: r for r in load_raw(lake, connection)}
    assert all(result.files_loaded == 0 and result.rows == 0 for result in second.values())
    assert second["raw_web.events"].files_skipped == raw_events
    assert _count(connection, "select count(*) from raw_web.events") == first["raw_web.events"].rows
    assert _count(connection, "select count(*) from raw_shop.customers") == first["raw_shop.customers"].rows
    # Lineage: every row names its lake file, and partitions become columns.
    assert _count(connection, "select count(*) from raw_web.events where filename not like '%.json.gz'") == 0
    assert _count(connection, "select count(*) from raw_shop.customers where ingest_date is null") == 0


def test_a_file_taken_back_from_the_lake_leaves_the_raw_tables(
    sample_dir: Path, tmp_path: Path, connection: Any
) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    land([sample_dir / "customers.csv", sample_dir / "customers_update.csv"], lake)
    load_raw(lake, connection)
    before = _count(connection, "select count(*) from raw_shop.customers")
    [update_key] = [
        key for key in lake.list_keys("raw/shop/customers/")
        if lake.get_bytes(key) == (sample_dir / "customers_update.csv").read_bytes()
    ]  # fmt: skip
    unland(lake, update_key, "sent twice by mistake")
    result = {r.table: r for r in load_raw(lake, connection)}["raw_shop.customers"]
    assert (result.files_removed, result.files_loaded) == (1, 0)
    after = _count(connection, "select count(*) from raw_shop.customers")
    assert after == before - len(read_csv(sample_dir / "customers_update.csv"))
    assert (
        _count(
            connection,
            "select count(*) from c360_loader.loaded_files where table_name = 'raw_shop.customers'",
        )
        == 1
    )


def test_a_recompacted_hour_replaces_its_rows(sample_dir: Path, tmp_path: Path, connection: Any) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    land(sample_dir / "events.jsonl.gz", lake)
    key = lake.list_keys("raw/web/events/")[0]
    dt, hr = key.split("/")[3].removeprefix("dt="), key.split("/")[4].removeprefix("hr=")
    compact(lake, dt, hr)
    load_raw(lake, connection)
    hour = f"select count(*) from raw_web.events_compacted where dt = '{dt}' and hr = '{hr}'"
    before = _count(connection, hour)
    assert (
        before == json.loads(lake.get_bytes(f"compacted/web/events/dt={dt}/hr={hr}/_manifest.json"))["rows"]
    )

    # A late raw file for the hour: compaction rewrites it, and the load follows.
    template = json.loads(gzip.decompress(lake.get_bytes(key)).splitlines()[0])
    late = {**template, "event_id": "late-event"}
    lake.put_bytes(events_key(dt, hr, "late", "1", "1"), gzip.compress(json.dumps(late).encode() + b"\n"))
    compact(lake, dt, hr)
    (result,) = [r for r in load_raw(lake, connection) if r.table == "raw_web.events_compacted"]
    assert result.files_loaded == 1
    assert _count(connection, hour) == before + 1  # replaced, not appended to
    assert (
        _count(connection, "select count(*) from raw_web.events_compacted where event_id = 'late-event'") == 1
    )


def test_a_ragged_csv_row_stops_the_load_and_loads_nothing_of_the_file(
    tmp_path: Path, connection: Any
) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    header = ",".join(f'"{name}"' for name in contract("products").columns)
    good = '"P1","Mug","home","kitchen","Acme","9.99","3.10","true","2026-01-01T00:00:00Z"'
    ragged = '"P2","Cup","home","kitchen","Acme","4.99","2026-01-01T00:00:00Z"'
    key = "raw/shop/products/ingest_date=2026-01-02/products_x.csv"
    lake.put_bytes(key, f"{header}\n{good}\n{ragged}\n".encode())
    with pytest.raises(RawLoadError, match=r"products_x\.csv: line 3 has 7 fields, the header has 9"):
        load_raw(lake, connection)
    assert _count(connection, "select count(*) from raw_shop.products") == 0
    assert _count(connection, "select count(*) from c360_loader.loaded_files") == 0


def test_an_unknown_csv_column_is_refused(tmp_path: Path, connection: Any) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    key = "raw/shop/products/ingest_date=2026-01-02/products_y.csv"
    lake.put_bytes(key, b'"product_id","colour"\n"P1","red"\n')
    with pytest.raises(RawLoadError, match="header has columns the contract does not: colour"):
        load_raw(lake, connection)


def test_a_corrupt_events_file_is_one_line_from_the_cli(
    tmp_path: Path, pg_env: dict[str, str], connection: Any
) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    lake.put_bytes(events_key("2026-01-01", "10", "shard", "1", "2"), b"not gzip at all")
    result = CliRunner().invoke(app, ["build", "--target", "postgres", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1
    assert "shard-1-2.json.gz: not gzip" in result.output
    assert "Traceback" not in result.output
    assert _count(connection, "select count(*) from c360_loader.loaded_files") == 0


def test_a_nul_character_names_the_file_and_row(tmp_path: Path, connection: Any) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    rows = [{"event_id": "e1", "city": "Paris"}, {"event_id": "e2", "city": "Pa\u0000ris"}]
    body = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    lake.put_bytes(events_key("2026-01-01", "10", "shard", "1", "2"), gzip.compress(body))
    with pytest.raises(RawLoadError, match=r"shard-1-2\.json\.gz: row 2: a value contains a NUL"):
        load_raw(lake, connection)
    assert _count(connection, "select count(*) from raw_web.events") == 0  # not even row 1


def test_build_says_in_one_line_when_postgres_is_unreachable(tmp_path: Path) -> None:
    env = {"C360_PG_HOST": "127.0.0.1", "C360_PG_PORT": "1", "C360_LAKE": str(tmp_path / "lake")}
    result = CliRunner().invoke(app, ["build", "--target", "postgres"], env=env)
    assert result.exit_code == 1
    assert "cannot connect to PostgreSQL c360@127.0.0.1:1/c360" in result.output
    assert "Traceback" not in result.output


def test_timestamp_offsets_are_converted_to_utc_on_both_engines(
    tmp_path: Path, pg_env: dict[str, str], connection: Any
) -> None:
    # RFC 3339 as the contracts allow it: an offset, lower-case t and z, digits past the
    # microsecond (dropped, not rounded). Every engine reads each alike (Redshift's form of
    # the same rules is checked in tests/test_redshift_statements.py).
    columns = contract("customers").columns
    lines = [",".join(columns)]
    for customer_id, signup_at, updated_at in (
        ("C1", "2025-01-01T10:00:00+02:00", "2025-01-02T00:30:00-01:00"),
        ("C2", "2025-01-01t10:00:00.123456789z", "2025-01-02T00:30:00.9999999Z"),
    ):
        values = dict.fromkeys(columns, "")
        values.update(customer_id=customer_id, signup_at=signup_at, updated_at=updated_at)
        lines.append(",".join(f'"{value}"' for value in values.values()))
    lake = open_lake(str(tmp_path / "lake"))
    lake.put_bytes(
        "raw/shop/customers/ingest_date=2025-01-02/customers_offsets.csv", "\n".join(lines).encode()
    )
    expected = [
        (datetime.datetime(2025, 1, 1, 8, 0), datetime.datetime(2025, 1, 2, 1, 30)),
        (datetime.datetime(2025, 1, 1, 10, 0, 0, 123456), datetime.datetime(2025, 1, 2, 0, 30, 0, 999999)),
    ]
    query = "select signup_at, updated_at from staging.stg_shop__customers order by customer_id"

    local = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    assert run_dbt(local, ["run", "--select", "+stg_shop__customers"]).ok
    with duckdb.connect(str(local.warehouse), read_only=True) as duck:
        assert duck.execute(query).fetchall() == expected

    on_postgres = Settings.resolve(lake=tmp_path / "lake", target="postgres")
    load_sources(on_postgres, say=lambda _message: None)
    assert run_dbt(on_postgres, ["run", "--select", "+stg_shop__customers"]).ok
    with connection.cursor() as cursor:
        cursor.execute(query)
        assert cursor.fetchall() == expected


def test_the_analyst_role_reads_the_marts_and_nothing_before_them(
    tmp_path: Path, pg_env: dict[str, str], connection: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = {name: "" for name in contract("customers").columns}
    values.update(
        customer_id="C1", email="ana@example.com", phone="+351 912", updated_at="2025-01-02T00:00:00Z"
    )
    lake = open_lake(str(tmp_path / "lake"))
    csv_text = ",".join(values) + "\n" + ",".join(f'"{value}"' for value in values.values()) + "\n"
    lake.put_bytes("raw/shop/customers/ingest_date=2025-01-02/customers.csv", csv_text.encode())
    monkeypatch.setenv("C360_PII_SALT", "pepper")
    on_postgres = Settings.resolve(lake=tmp_path / "lake", target="postgres")
    load_sources(on_postgres, say=lambda _message: None)
    assert run_dbt(on_postgres, ["run", "--select", "+dim_customers"]).ok

    # The dimension holds the salted hashes, the same ones DuckDB computes, never the values.
    with connection.cursor() as cursor:
        cursor.execute("select email_hash, phone_hash from core.dim_customers where customer_id = 'C1'")
        assert cursor.fetchone() == tuple(
            hashlib.sha256(f"pepper{value}".encode()).hexdigest() for value in ("ana@example.com", "+351 912")
        )

    monkeypatch.setenv("C360_PG_USER", "c360_analyst_test")
    analyst = connection_from_env()
    try:
        with analyst.cursor() as cursor:
            cursor.execute("select count(*) from core.dim_customers")
            assert cursor.fetchone() == (1,)
        for relation in ("staging.stg_shop__customers", "intermediate.int_customer_versions_collapsed"):
            analyst.rollback()
            with analyst.cursor() as cursor, pytest.raises(Exception, match="permission denied"):
                cursor.execute(f"select count(*) from {relation}")
    finally:
        analyst.close()


# --- the same warehouse on both engines --------------------------------------------------------


def _normalised(value: Any) -> str:
    """One text form per value, whichever driver returned it (0, 0.0 and Decimal('0.00') agree)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value)).normalize()
        return format(number, "f")
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return repr(value)


def _checksums(columns: list[str], rows: list[tuple[Any, ...]]) -> dict[str, str]:
    """Per column, a SHA-256 over its sorted values: order-free, and exact."""
    return {
        column: hashlib.sha256("\n".join(sorted(_normalised(row[i]) for row in rows)).encode()).hexdigest()
        for i, column in enumerate(columns)
    }


def _postgres_rows(connection: Any, name: str, columns: list[str]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"select {', '.join(columns)} from {name}")
        return list(cursor.fetchall())


@pytest.mark.dbt
def test_every_core_model_is_the_same_on_duckdb_and_postgres(
    tmp_path: Path, pg_env: dict[str, str], connection: Any
) -> None:
    # Dirty data, so staging rejects rows on both engines and the rejects are compared too,
    # and beside it the hostile corpus: every record that once broke a build must now land
    # (or go to quarantine) in a form both engines read.
    sample = tmp_path / "sample"
    generate(sample, scale=0.03, seed=11, dirty=0.01)
    # And one record of each implausible date (test_point_in_time proves on DuckDB that they
    # move no mart; equal models here prove the same of PostgreSQL).
    write_implausible_records(sample, sample)
    hostile = b"\n".join(data for data, _reason in HOSTILE.values() if b"\n" not in data)
    (sample / "events_hostile.jsonl").write_bytes(
        hostile + b"\n" + event_bytes(event_id="beside-hostile") + b"\n"
    )
    header = ",".join(contract("products").columns)
    (sample / "products_hostile.csv").write_bytes(
        f"{header}\nP90001,Mug,Home,Kitchen,Acme,9.99,3.10,yes,2026-01-01T00:00:00Z\n".encode()
        + b"P90002,Cup,Home,Kitchen,Acme,4.99\n"  # ragged
        + b"P90003,C\x00up,Home,Kitchen,Acme,4.99,1.00,true,2026-01-01T00:00:00Z\n"  # NUL
        + b'P90004,"Cup"x,Home,Kitchen,Acme,4.99,1.00,true,2026-01-01T00:00:00Z\n\n'  # bad quote, blank line
    )
    lake = tmp_path / "lake"
    land(sample, open_lake(str(lake)))
    # Two days compacted, the rest raw: both engines read committed Parquet for those hours.
    days = sorted(
        {key.split("/")[3].removeprefix("dt=") for key in open_lake(str(lake)).list_keys("raw/web/")}
    )
    for day in days[:2]:
        compact(open_lake(str(lake)), day)
    said: dict[str, list[str]] = {"local": [], "postgres": []}
    local = Settings.resolve(
        lake=lake, warehouse=tmp_path / "c360.duckdb", published=tmp_path / "pub.duckdb", target="local"
    )
    runner.run(local, say=said["local"].append)
    on_postgres = Settings.resolve(lake=lake, target="postgres")
    report = runner.run(on_postgres, say=said["postgres"].append)
    # Both engines reject the same rows for the same reasons, and say so alike.
    warnings = {target: [m for m in said[target] if "rows rejected" in m] for target in said}
    assert warnings["local"] and warnings["postgres"] == warnings["local"]
    assert report.document["status"] == "published"
    rejected = rejections(on_postgres)
    for model, reasons in IMPLAUSIBLE_REJECTIONS.items():
        assert reasons.items() <= rejected[model].items(), model
    loaded = {r.table: r for r in report.raw_loaded}
    assert loaded["raw_web.events"].files_loaded > 0 and loaded["raw_web.events_compacted"].files_loaded > 0
    # fct_events again, now incrementally (MERGE): it must run and change nothing.
    assert run_dbt(on_postgres, ["run", "--select", "fct_events"]).ok
    compiled = target_dir() / "run/c360/models/marts/core/fct_events.sql"
    assert "merge into" in compiled.read_text("utf-8").lower()
    # The semantic layer on PostgreSQL: after `dbt parse` (c360 builds into audit schemas,
    # the parse names the published ones), `mf query` equals monthly_revenue there.
    assert run_dbt(on_postgres, ["parse"]).ok
    answered = by_month(mf_query(on_postgres, MONTHLY, "metric_time__month", tmp_path / "mf"))
    with connection.cursor() as cursor:
        cursor.execute(MART_SQL)
        assert_equals_monthly_revenue(answered, list(cursor.fetchall()))

    duckdb_models = duckdb_tables(local.warehouse, COMPARED_SCHEMAS)
    staged_events = {row[0] for row in duckdb_models["staging.stg_web__events"][1]}
    assert "beside-hostile" in staged_events
    assert {"P90001"} == {row[0] for row in duckdb_models["staging.stg_shop__products"][1] if row[0] >= "P9"}
    core = [name for name in duckdb_models if name.startswith("core.")]
    assert {"core.dim_customers", "core.fct_order_lines", "core.fct_events", "core.fct_sessions"} <= set(core)
    assert any(rows for name, (_columns, rows) in duckdb_models.items() if name.endswith("_rejected"))
    for name, (columns, duckdb_rows) in duckdb_models.items():
        postgres_rows = _postgres_rows(connection, name, columns)
        assert len(postgres_rows) == len(duckdb_rows), name
        assert _checksums(columns, postgres_rows) == _checksums(columns, duckdb_rows), name

    # Every query of every app page runs on both (PostgreSQL stands for the Redshift path)
    # and, but for the run ledger (each target's own runs), gives the same answer.
    readers = {"duckdb": Warehouse(local), "postgres": Warehouse(on_postgres)}
    params = _app_parameters(readers["duckdb"])
    for page, group in app_queries.PAGES.items():
        for query in group:
            if query is app_queries.CHURN_BACKTEST:  # written by `c360 clv validate` only
                for reader in readers.values():
                    with pytest.raises(MissingRelationError):
                        reader.run(query, params)
                continue
            answers = {kind: reader.run(query, params) for kind, reader in readers.items()}
            if query is app_queries.RUNS:
                assert len(answers["postgres"]) >= len(answers["duckdb"]) > 0
                continue
            assert _summary(answers["postgres"]) == _summary(answers["duckdb"]), f"{page}: {query.name}"


def _app_parameters(reader: Warehouse) -> dict[str, Any]:
    """A value for every parameter the app's queries take, from what the warehouse holds."""
    span = reader.run(app_queries.DATA_RANGE)
    first, last = span["first_day"].iloc[0].date(), span["last_day"].iloc[0].date()
    product = reader.run(app_queries.DEMAND_PRODUCTS).iloc[0]
    customer = reader.run(app_queries.TOP_CUSTOMERS, {"country": ""}).iloc[0]
    return {
        "start_date": first,
        "end_date": last,
        "start_month": first.replace(day=1),
        "prior_start": first - (last - first) - datetime.timedelta(days=1),
        "from_date": first,
        "to_date": last,
        "country": "",
        "channel": "",
        "segment": "Champions",
        "product_id": product["product_id"],
        "category": product["category"],
        "customer_id": customer["customer_id"],
        "term": customer["customer_id"],
        "pattern": f"%{str(customer['last_name']).lower()}%",
    }


def _summary(frame: Any) -> tuple[int, list[Any]]:
    """Rows, and each column's sum (numbers, to the cent) or sorted distinct text."""
    columns = []
    for column in sorted(frame.columns):
        values = [value for value in frame[column].tolist() if value is not None and value == value]
        if all(isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) for value in values):
            columns.append((column, round(float(sum(values)), 2)))
        else:
            columns.append((column, sorted({str(value)[:19] for value in values})))
    return len(frame), columns


# --- write-audit-publish and setting a server up -----------------------------------------------


def _schemas(connection: Any) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("select schema_name from information_schema.schemata")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.dbt
def test_publish_swaps_whole_builds_in_and_a_failed_one_never_reaches_readers(
    tmp_path: Path, pg_env: dict[str, str], connection: Any
) -> None:
    sample = tmp_path / "sample"
    generate(sample, scale=0.01, seed=5)
    lake = tmp_path / "lake"
    settings = Settings.resolve(lake=lake, warehouse=tmp_path / "wh" / "c360.duckdb", target="postgres")
    first = runner.run(settings, input_dir=sample, say=lambda _m: None)
    assert first.document["status"] == "published"
    assert {"core", "analytics", "customer"} <= _schemas(connection)
    assert "core__audit" not in _schemas(connection), "the audit schemas were swapped in"
    products = _count(connection, "select count(*) from core.dim_products")
    events = _count(connection, "select count(*) from core.fct_events")

    header = ",".join(contract("products").columns)
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "products_new.csv").write_text(
        f"{header}\nP99999,Mug,Home,Kitchen,Acme,9.99,3.10,true,2026-01-01T00:00:00Z\n"
    )
    second = runner.run(settings, input_dir=tmp_path / "new", say=lambda _m: None)
    assert second.document["status"] == "published"
    assert _count(connection, "select count(*) from core.dim_products") == products + 1
    assert _count(connection, "select count(*) from core__previous.dim_products") == products
    # fct_events was seeded from the published table and is still exactly the events.
    assert _count(connection, "select count(*) from core.fct_events") == events
    # No view reads a published layer, under any of its names: on Redshift a view binds its
    # names late, and publish renames the audit schema it was built against. Staging and
    # intermediate are tables, built once per build: no view is left to bind late at all.
    with connection.cursor() as cursor:
        cursor.execute(
            "select schemaname, viewname, definition from pg_views"
            " where schemaname not in ('pg_catalog', 'information_schema')"
        )
        views = cursor.fetchall()
        cursor.execute("select count(*) from pg_tables where schemaname in ('staging', 'intermediate')")
        [(tables,)] = cursor.fetchall()
    assert tables > 20
    published = re.compile(r"\b(core|analytics|customer)(__audit|__previous)?\.")
    assert [f"{schema}.{name}" for schema, name, definition in views if published.search(definition)] == []

    customers = ",".join(contract("customers").columns)
    rows = [f"C9{n:05d},Ann,Lee,a{n}@example.com,,,,,,,US,2025-01-01T00:00:00Z,true," for n in range(60)]
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "customers_broken.csv").write_text("\n".join([customers, *rows]) + "\n")
    with pytest.raises(BuildFailedError, match="rejected_share_below"):
        runner.run(settings, input_dir=tmp_path / "broken", say=lambda _m: None)
    # Readers still get the second build, whole; the failed one stays in the audit schemas.
    assert _count(connection, "select count(*) from core.dim_products") == products + 1
    assert _count(connection, "select count(*) from core.dim_customers where customer_id like 'C9%'") == 0
    assert "core__audit" in _schemas(connection)
    with pytest.raises(PublishError, match="not green"):
        publish_warehouse(settings)


def test_postgres_init_makes_what_the_target_needs_and_keeps_the_password_out_of_the_shell(
    postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as_postgres(
        "drop database if exists c360_newcomer with (force)",
        "drop role if exists c360_newcomer",  # a newcomer: nothing of theirs exists yet
        "do $$ begin create role c360_admin superuser login;"
        " exception when duplicate_object then null; end $$",
        f"alter role c360_admin with password '{PG_PASSWORD}'",
    )
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "pgpass"))
    monkeypatch.setenv("C360_PG_PORT", str(postgres.port))
    monkeypatch.setenv("C360_PG_USER", "c360_newcomer")
    monkeypatch.setenv("C360_PG_DATABASE", "c360_newcomer")
    monkeypatch.delenv("DBT_ENV_SECRET_PG_PASSWORD", raising=False)
    admin = f"host=127.0.0.1 port={postgres.port} dbname=postgres user=c360_admin password={PG_PASSWORD}"

    result = CliRunner().invoke(app, ["postgres", "init", "--admin-dsn", admin])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "created role c360_newcomer, database c360_newcomer" in said
    pgpass = tmp_path / "pgpass"
    assert pgpass.stat().st_mode & 0o777 == 0o600
    newcomer = connection_from_env()  # no password given: libpq reads the password file
    with newcomer.cursor() as cursor:
        cursor.execute("create schema staging")  # the role owns its database
        cursor.execute("select current_user, current_database()")
        assert cursor.fetchone() == ("c360_newcomer", "c360_newcomer")
    newcomer.close()

    again = CliRunner().invoke(app, ["postgres", "init", "--admin-dsn", admin])
    assert again.exit_code == 0 and "nothing new" in " ".join(again.output.split())
    assert len([line for line in pgpass.read_text().splitlines() if ":c360_newcomer:" in line]) == 1
    connection_from_env().close()  # the renewed password is the one on file

    wrong = CliRunner().invoke(app, ["postgres", "init", "--admin-dsn", f"{admin}x"])
    assert wrong.exit_code == 1 and wrong.output.startswith("error: cannot connect as administrator")
