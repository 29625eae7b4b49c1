"""Each generic test in dbt/tests/generic passes on a good fixture and fails on a bad one.

The fixtures are a tiny dbt project (tests/dbt_fixtures/generic_tests) whose tests are named
pass_<test> and fail_<test> (a further case of a test: fail_<test>__<case>); the expected
failure counts are written out below.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from c360.warehouse.dbt import dbt_executable

pytestmark = pytest.mark.dbt

FIXTURES = Path(__file__).parent / "dbt_fixtures" / "generic_tests"
GENERIC = Path(__file__).parents[1] / "dbt" / "tests" / "generic"
EXPECTED_FAILURES = {
    "fail_expression_is_true": 1,  # one negative amount
    "fail_accepted_range": 2,  # -5 and 50 are outside [0, 10]
    "fail_one_of_the_names_in_var": 1,  # z is not a name in var fixture_codes (null is fine)
    "fail_unique_combination_of_columns": 1,  # (1, 'a') twice
    "fail_recency": 1,  # newest row is 30 days old
    "fail_row_count_between": 1,  # 2 rows, at least 3 wanted
    "fail_scd2_valid_ranges": 6,  # k1 overlaps; k2 two current (2); k3 open and none current (2); k4 gap
    "fail_known_members": 2,  # f2 and f3 join the inferred member m2
    "fail_no_rejected_rows": 3,  # three rejected rows (under two reasons)
    "fail_rejected_share_below": 1,  # 3 of 10 rejected, above 5 %
    "fail_rejected_share_below__even_when_any_share_is_allowed": 1,  # every row rejected
}


def test_every_generic_test_passes_and_fails_on_its_fixtures(tmp_path: Path) -> None:
    command = [
        dbt_executable(), "build", "--project-dir", str(FIXTURES), "--profiles-dir", str(FIXTURES),
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
    ]  # fmt: skip
    env = {**os.environ, "C360_FIXTURES_DB": str(tmp_path / "fixtures.duckdb")}
    completed = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
    assert completed.returncode == 1, "the fail_* tests must fail the build"
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    tests = {r["unique_id"].split(".")[2]: r for r in results if r["unique_id"].startswith("test.")}

    defined = {path.stem for path in GENERIC.glob("*.sql")}

    def generic(name: str) -> str:
        return name.split("_", 1)[1].split("__", 1)[0]

    assert {generic(name) for name in tests if name.startswith("pass_")} == defined
    assert {generic(name) for name in tests if name.startswith("fail_")} == defined
    for name, result in tests.items():
        if name.startswith("pass_"):
            assert result["status"] == "pass", f"{name}: {result['message']}"
        else:
            assert (result["status"], result["failures"]) == ("fail", EXPECTED_FAILURES[name]), name
