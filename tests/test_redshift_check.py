"""`c360 redshift check` on a new cluster: every stage in order, one line each, then nothing
left behind; and every statement it sends is valid Redshift (see tests/redshift_harness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from redshift_harness import BUCKET, Recorded, fake_redshift_env, findings, recorded
from typer.testing import CliRunner

from c360.cli import app
from c360.pipeline.redshift_check import STAGES
from loaders.lake.storage import open_lake

pytestmark = [pytest.mark.dbt, pytest.mark.xdist_group("redshift-check")]

CHECK_PREFIX = "c360_check_test_"


@dataclass
class Checked:
    output: str
    exit_code: int
    sent: Recorded


@pytest.fixture(scope="module")
def checked(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    with fake_redshift_env(moto_server, tmp_path_factory.mktemp("fake-redshift")) as state:
        result = CliRunner().invoke(
            app, ["redshift", "check", "--bucket", BUCKET, "--schema-prefix", CHECK_PREFIX]
        )
        yield Checked(result.output, result.exit_code, recorded(state))


def test_the_redshift_check_runs_every_stage_then_takes_away_what_it_made(
    checked: Checked, moto_server: str
) -> None:
    assert checked.exit_code == 0, checked.output
    lines = [line.split() for line in checked.output.splitlines() if line.split()[:1]]
    assert [words[0] for words in lines if words[0] in STAGES] == list(STAGES)
    assert all(words[1] == "ok" for words in lines if words[0] in STAGES), checked.output
    assert [name for name in checked.sent.catalog["schemas"] if name.startswith(CHECK_PREFIX)] == []
    # Its schemas were there while it ran: built, published and dropped (external ones with
    # their Glue database), and its S3 objects are gone.
    texts = [" ".join(entry["sql"].split()).lower() for entry in checked.sent.statements]
    assert any(f"create external schema if not exists {CHECK_PREFIX}raw_web" in text for text in texts)
    assert any(f'"{CHECK_PREFIX}analytics__audit"' in text and "rename" in text for text in texts)
    assert any(
        f'drop schema if exists "{CHECK_PREFIX}raw_web" drop external database cascade' in text
        for text in texts
    )
    check_lake = open_lake(f"s3://{BUCKET}/c360-check/{CHECK_PREFIX.rstrip('_')}", endpoint_url=moto_server)
    assert check_lake.list_keys("") == []


def test_every_statement_of_the_check_is_valid_redshift(checked: Checked) -> None:
    found, kinds = findings(checked.sent.statements)
    print("statements by kind:", dict(kinds))  # the closing note reports these
    assert found == {}
    assert kinds["spectrum DDL and partitions"] and kinds["audit and publish"] and kinds["unit tests"]
