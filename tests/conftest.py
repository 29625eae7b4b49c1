"""Shared fixtures: one small generated dataset and one warehouse built from it by the real pipeline."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from filelock import FileLock

from c360.pipeline import runner
from c360.pipeline.context import RunReport
from c360.settings import DBT_PROJECT_DIR, Settings
from loaders.generator import generate

SCALE = 0.05
SEED = 7

# Under pytest-xdist each worker gets its own dbt target folder (dbt reads DBT_TARGET_PATH),
# so parallel builds never overwrite each other's manifest, run results or logs.
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["DBT_TARGET_PATH"] = str(DBT_PROJECT_DIR / f"target-{worker}")

# One salt for the e-mail and phone hashes of every build in the session, as a production
# secret would be: DuckDB and PostgreSQL builds of one lake must hash alike, and no test
# writes a salt file into the checkout (test_cli covers the file a laptop keeps).
# The salt holds a quote, a backslash and a percent sign: each engine must read it alike.
PII_SALT = "c360'test\\salt%"
os.environ["C360_PII_SALT"] = PII_SALT


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(out, scale=SCALE, seed=SEED)
    return out


@pytest.fixture(scope="session")
def answer_key(sample_dir: Path) -> dict[str, Any]:
    return json.loads((sample_dir / "answer_key.json").read_text())


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Built:
    settings: Settings
    report: RunReport
    sample_dir: Path


@pytest.fixture(scope="session")
def built(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Land the sample, build with dbt on DuckDB and publish, exactly as `c360 run --input` does."""
    root = tmp_path_factory.mktemp("pipeline")
    settings = Settings.resolve(
        lake=root / "lake",
        warehouse=root / "warehouse" / "c360.duckdb",
        published=root / "warehouse" / "published.duckdb",
        target="local",
    )
    report = runner.run(settings, input_dir=sample_dir, say=lambda _message: None)
    return Built(settings, report, sample_dir)


def copy_of_built(built: Built, tmp_path: Path) -> Settings:
    """A private copy of the session's lake and warehouse, for a test that changes them."""
    root = tmp_path / "copy"
    shutil.copytree(Path(built.settings.lake).parent, root)
    return Settings.resolve(
        lake=root / "lake",
        warehouse=root / "warehouse" / "c360.duckdb",
        published=root / "warehouse" / "published.duckdb",
    )


# --- AWS: moto in-process, and moto_server on 127.0.0.1 ---------------------------------

REGION = "us-east-1"
BUCKET = "c360-lake"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, so nothing can ever reach a real AWS account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("C360_S3_ENDPOINT_URL", raising=False)


@pytest.fixture
def moto_aws(aws_env: None) -> Iterator[None]:
    """moto in-process: every boto3 client created inside talks to moto's backends."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def s3_bucket(moto_aws: None) -> str:
    import boto3

    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    return BUCKET


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A real moto_server process on a free loopback port; its endpoint URL."""
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="moto-server-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        # Its imports take a few seconds; on a machine busy with parallel builds, many more.
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server exited early; see {log.name}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not listen on {endpoint} within 90 s; see {log.name}")
            time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def duckdb_s3(endpoint_url: str) -> Any:
    """A DuckDB connection that reads s3:// from ``endpoint_url`` with httpfs from its PyPI wheel."""
    import duckdb
    import duckdb_extension_httpfs

    extension = next(Path(duckdb_extension_httpfs.__file__).parent.rglob("httpfs.duckdb_extension"))
    connection = duckdb.connect()
    connection.execute(f"load '{extension}'")
    host = endpoint_url.removeprefix("http://")
    connection.execute(
        "create secret moto (type s3, key_id 'testing', secret 'testing', region ?,"
        " endpoint ?, url_style 'path', use_ssl false)",
        [REGION, host],
    )
    return connection


def lake_rows(lake: Any, prefix: str) -> list[dict[str, Any]]:
    """Every JSON row of the gzip NDJSON objects under ``prefix`` of a lake (local or S3)."""
    import gzip

    rows = []
    for key in lake.list_keys(prefix):
        if key.endswith(".json.gz"):
            rows.extend(json.loads(line) for line in gzip.decompress(lake.get_bytes(key)).splitlines())
    return rows


def event_bytes(**fields: Any) -> bytes:
    """A minimal valid event as a producer sends it, with ``fields`` overriding."""
    event = {
        "event_id": "e1",
        "event_type": "page_view",
        "occurred_at": "2026-01-01T10:00:00Z",
        "anonymous_id": "a1",
    }
    return json.dumps({**event, **fields}).encode()


def duckdb_tables(
    warehouse: Path, schemas: tuple[str, ...]
) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table and view of these schemas of a DuckDB file: its columns and rows."""
    tables = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        names = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema in (select unnest(?)) order by 1",
            [list(schemas)],
        ).fetchall()
        for (name,) in names:
            result = connection.execute(f"select * from {name}")
            tables[name] = ([column[0] for column in result.description], result.fetchall())
    return tables


# One record of each implausible kind, and what staging must make of it (model: reason: rows).
IMPLAUSIBLE_REJECTIONS = {
    "stg_shop__transactions_rejected": {
        "ordered_at after the export was landed": 1,
        "ordered_at before c360_earliest_plausible_date": 1,
    },
    "stg_shop__customers_rejected": {"signup_at after the customer's first order": 1},
    "stg_web__events_rejected": {"occurred_at after the event reached Kinesis": 1},
}


def write_implausible_records(sample_dir: Path, out_dir: Path) -> str:
    """Exports with one order line dated 2099 and one dated 1900 (copies of a line of the
    sample), a new version of that line's customer signing up after their first order, and
    an event dated a year from now, written to ``out_dir``. Returns the customer's id."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = read_csv(sample_dir / "transactions.csv")
    line = next(row for row in lines if row["customer_id"] and row["quantity"].isdigit())
    typos = [
        {
            **line,
            "transaction_id": "T-TYPO-2099",
            "ordered_at": "2099-01-01T00:00:00Z",
            "updated_at": "2099-01-01T00:00:00Z",
        },
        {
            **line,
            "transaction_id": "T-TYPO-1900",
            "ordered_at": "1900-01-01T00:00:00Z",
            "updated_at": "1900-01-01T00:00:00Z",
        },
    ]
    _write_csv(out_dir / "transactions_typos.csv", list(line), typos)
    customers = read_csv(sample_dir / "customers.csv")
    version = next((row for row in customers if row["customer_id"] == line["customer_id"]), customers[0])
    late = {
        **version,
        "customer_id": line["customer_id"],
        "signup_at": "2026-05-01T00:00:00Z",
        "updated_at": "2026-06-01T00:00:00Z",
    }
    _write_csv(out_dir / "customers_late_signup.csv", list(version), [late])
    next_year = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (out_dir / "events_next_year.jsonl").write_bytes(
        event_bytes(event_id="e-next-year", occurred_at=next_year, anonymous_id="a-next-year") + b"\n"
    )
    return line["customer_id"]


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


# --- PostgreSQL: the Debian cluster, started if it is down ---------------------------------

PG_VERSION = "15"
PG_CLUSTER = "main"
PG_PASSWORD = "c360_test"


def _cluster() -> tuple[str, int, Path]:
    """Status, port and data directory of the cluster, from pg_lsclusters."""
    line = subprocess.run(
        ["pg_lsclusters", "--no-header", PG_VERSION, PG_CLUSTER], capture_output=True, text=True, check=True
    ).stdout.split()
    return line[3], int(line[2]), Path(line[5])


def _as_postgres(*sql: str) -> None:
    """Run SQL as the cluster's superuser over its local socket (the tests run as root)."""
    command = ["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    for statement in sql:
        command += ["-c", statement]
    subprocess.run(command, check=True, cwd="/", capture_output=True, text=True)


@dataclass
class Postgres:
    port: int

    def database(self, name: str) -> dict[str, str]:
        """A new, empty database owned by the test role; the C360_PG_* settings that reach it."""
        _as_postgres(
            f"drop database if exists {name} with (force)", f"create database {name} owner c360_test"
        )
        return {
            "C360_PG_HOST": "127.0.0.1",
            "C360_PG_PORT": str(self.port),
            "C360_PG_USER": "c360_test",
            "C360_PG_DATABASE": name,
            "DBT_ENV_SECRET_PG_PASSWORD": PG_PASSWORD,
        }


# Workers of one pytest run may each need the cluster: they register here, the first starts
# it if it is down, and the last one out stops it again (only if a test session started it).
PG_SHARED = Path(tempfile.gettempdir()) / "c360-tests-postgres.json"


@contextmanager
def _pg_registry() -> Iterator[dict[str, Any]]:
    with FileLock(f"{PG_SHARED}.lock", timeout=120):
        state = json.loads(PG_SHARED.read_text()) if PG_SHARED.exists() else {}
        state = {"started_pid": state.get("started_pid"), "users": state.get("users", [])}
        state["users"] = [pid for pid in state["users"] if _alive(pid)]
        yield state
        PG_SHARED.write_text(json.dumps(state))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL server: the Debian cluster, started here if it is down (and stopped
    again by the last test process using it, by its postmaster's PID), with login roles."""
    if os.geteuid() != 0:
        raise RuntimeError("the PostgreSQL tests start the Debian cluster and need root (make test in CI)")
    with _pg_registry() as state:
        status, port, data_dir = _cluster()
        if status != "online":
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_CLUSTER, "start"],
                check=True,
                capture_output=True,
            )
            state["started_pid"] = int((data_dir / "postmaster.pid").read_text().split()[0])
        state["users"].append(os.getpid())
    try:
        for _attempt in range(100):  # up to ~10 s
            ready = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)], check=False)
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"PostgreSQL did not accept connections on 127.0.0.1:{port}")
        _as_postgres(  # the test role, created once, its password set every time; and the
            # analyst role the marts are granted to, which an administrator creates in production
            "do $$ begin create role c360_test; exception when duplicate_object then null; end $$",
            f"alter role c360_test with login password '{PG_PASSWORD}'",
            "do $$ begin create role c360_analyst; exception when duplicate_object then null; end $$",
            "do $$ begin create role c360_analyst_test login in role c360_analyst;"
            " exception when duplicate_object then null; end $$",
            f"alter role c360_analyst_test with password '{PG_PASSWORD}'",
        )
        yield Postgres(port)
    finally:
        with _pg_registry() as state:
            state["users"] = [pid for pid in state["users"] if pid != os.getpid()]
            started = state["started_pid"]
            if not state["users"] and started is not None and _alive(started):
                os.kill(started, signal.SIGINT)  # fast shutdown of the server a test session started
                for _attempt in range(100):
                    if not _alive(started):
                        break
                    time.sleep(0.1)
                state["started_pid"] = None
