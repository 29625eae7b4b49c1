"""The Step Functions state machine is the steps of `c360 run`, and each task calls them right."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.main import get_command
from typer.testing import CliRunner

from c360.cli import app
from c360.pipeline import runner as pipeline_runner
from c360.pipeline import statemachine, steps
from c360.pipeline.runner import lambda_handler
from loaders.compaction import glue_job

runner = CliRunner()
TERMINAL = {"Succeed", "Fail"}


@pytest.fixture(scope="module")
def machine() -> dict[str, Any]:
    return statemachine.definition()


def _targets(state: dict[str, Any]) -> list[str]:
    found = [state[key] for key in ("Next", "Default") if key in state]
    found += [choice["Next"] for choice in state.get("Choices", [])]
    found += [catch["Next"] for catch in state.get("Catch", [])]
    return found


def test_the_committed_files_are_generated_from_the_steps() -> None:
    assert statemachine.stale() == [], "run `c360 statemachine`"
    committed = json.loads((statemachine.OUTPUT_DIR / statemachine.DEFINITION_FILE).read_text())
    assert committed == statemachine.definition()


def test_the_success_path_is_the_local_steps_in_order(machine: dict[str, Any]) -> None:
    path, name = [], machine["StartAt"]
    while name != "finished":
        path.append(name)
        state = machine["States"][name]
        name = state["Choices"][-1]["Next"] if state["Type"] == "Choice" else state["Next"]
    assert path == list(steps.STEP_NAMES)


def test_the_definition_is_well_formed(machine: dict[str, Any]) -> None:
    states = machine["States"]
    assert machine["StartAt"] in states
    for name, state in states.items():
        assert state["Type"] in {"Task", "Pass", "Choice", "Succeed", "Fail"}, name
        assert all(target in states for target in _targets(state)), name
        if state["Type"] in TERMINAL:
            assert "Next" not in state and not state.get("End"), name
        elif state["Type"] != "Choice":
            assert "Next" in state or state.get("End"), f"{name} leads nowhere"
    reachable, frontier = set(), [machine["StartAt"]]
    while frontier:
        name = frontier.pop()
        if name not in reachable:
            reachable.add(name)
            frontier += _targets(states[name])
    assert reachable == set(states), "every state is reachable"
    # Step Functions accepts it once Terraform has filled in the ${...} names.
    filled = re.sub(r"\$\{[a-z_]+\}", "arn:aws:iam::123456789012:role/x", json.dumps(machine))
    json.loads(filled)


def test_the_gate_is_a_choice_and_every_failure_alerts_then_reports(machine: dict[str, Any]) -> None:
    states = machine["States"]
    gate = states["gate"]
    assert gate["Type"] == "Choice" and gate["Default"] == "alert"
    assert {choice["Variable"] for choice in gate["Choices"]} == {"$.build_passed", "$.nothing_new_since"}
    assert (
        states["alert"]["Resource"] == "arn:aws:states:::sns:publish" and states["alert"]["Next"] == "report"
    )
    for name, state in states.items():
        if state["Type"] == "Task" and name not in ("alert", "report"):
            assert state["Catch"] == [
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "alert"}
            ], name
        if state["Type"] == "Task":  # AWS calls retry with exponential backoff
            [retry] = state["Retry"]
            assert (
                retry["BackoffRate"] > 1
                and retry["MaxAttempts"] >= 2
                and "States.ALL" not in retry["ErrorEquals"]
            )
    assert states["finished"]["Choices"][0] == {
        "Variable": "$.status",
        "StringEquals": "failed",
        "Next": "run_failed",
    }


def test_each_ecs_task_runs_the_step_command_it_names(machine: dict[str, Any]) -> None:
    step_options = {option for param in get_command(app).commands["step"].params for option in param.opts}  # type: ignore[attr-defined]
    for step in steps.STEPS:
        state = machine["States"][step.name]
        if step.cloud != "ecs":
            continue
        assert state["Resource"] == "arn:aws:states:::ecs:runTask.waitForTaskToken"
        [override] = state["Parameters"]["Overrides"]["ContainerOverrides"]
        assert override["Name"] == statemachine.CONTAINER
        words = re.findall(r"'([^']*)'", override["Command.$"])
        assert (
            words == ["c360", "step", step.name, "--event"]
            and "States.JsonToString($)" in override["Command.$"]
        )
        assert set(words[3:]) <= step_options
        assert override["Environment"] == [{"Name": "C360_TASK_TOKEN", "Value.$": "$$.Task.Token"}]


def test_the_compact_task_passes_only_what_the_glue_job_reads(machine: dict[str, Any]) -> None:
    arguments = machine["States"]["compact"]["Parameters"]["Arguments"]
    parser = glue_job.arguments()
    known = {option for action in parser._actions for option in action.option_strings}
    assert {name.removesuffix(".$") for name in arguments} <= known
    scope = next(action for action in parser._actions if "--scope" in action.option_strings)
    assert arguments["--scope"] in scope.choices  # type: ignore[operator]


def test_the_steps_lambda_takes_the_payload_the_state_machine_sends(
    machine: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    land = machine["States"]["land"]
    assert set(land["Parameters"]["Payload"]) == {"step", "document.$"}
    monkeypatch.setenv("C360_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "c360.duckdb"))
    landed = tmp_path / "lake" / "raw" / "shop" / "products" / "ingest_date=2026-01-01" / "products.csv"
    landed.parent.mkdir(parents=True)
    landed.write_text("product_id\n")  # a lake that is not empty, and no --input: nothing to land
    document = lambda_handler({"step": "land", "document": {"run_id": "r1", "steps": []}}, None)
    assert document["run_id"] == "r1"
    assert document["steps"][0]["name"] == "land" and document["steps"][0]["status"] == "skipped"


def _stubbed(monkeypatch: pytest.MonkeyPatch) -> Stubber:
    client = boto3.client("stepfunctions", region_name="eu-west-1")
    stubber = Stubber(client)
    monkeypatch.setattr(pipeline_runner, "_stepfunctions", lambda _settings: client)
    return stubber


def test_a_step_run_by_the_state_machine_hands_its_document_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stubber = _stubbed(monkeypatch)
    monkeypatch.setenv("C360_TASK_TOKEN", "token-1")
    event = {"run_id": "r2", "steps": []}
    stubber.add_response(
        "send_task_success",
        {},
        {"taskToken": "token-1", "output": stubber_any_json(lambda d: d["run_id"] == "r2")},
    )
    with stubber:
        result = runner.invoke(
            app,
            ["step", "report", "--event", json.dumps(event), "--lake", str(tmp_path / "lake")],
            env={"C360_WAREHOUSE": str(tmp_path / "c360.duckdb")},
        )
        stubber.assert_no_pending_responses()
    assert result.exit_code == 0, result.output


def test_a_failed_step_reports_the_failure_to_the_state_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stubber = _stubbed(monkeypatch)
    monkeypatch.setenv("C360_TASK_TOKEN", "token-2")
    event = {"run_id": "r3", "build_passed": False, "steps": []}
    stubber.add_response(
        "send_task_failure",
        {},
        {
            "taskToken": "token-2",
            "error": "c360.BuildFailedError",
            "cause": "the build failed: no build result; the published copy was left as it was",
        },
    )
    with stubber:
        result = runner.invoke(
            app,
            ["step", "gate", "--event", json.dumps(event), "--lake", str(tmp_path / "lake")],
            env={"C360_WAREHOUSE": str(tmp_path / "c360.duckdb")},
        )
        stubber.assert_no_pending_responses()
    assert result.exit_code == 1


class stubber_any_json:  # noqa: N801 - reads as a matcher in expected parameters
    """Matches a JSON string whose decoded value satisfies a predicate."""

    def __init__(self, predicate: Any) -> None:
        self.predicate = predicate

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(self.predicate(json.loads(other)))

    def __hash__(self) -> int:
        return 0


def test_the_schedules_start_hourly_incremental_and_daily_full_runs() -> None:
    schedules = json.loads((statemachine.OUTPUT_DIR / statemachine.SCHEDULES_FILE).read_text())
    assert schedules["hourly_incremental"]["schedule_expression"] == "rate(1 hour)"
    assert schedules["hourly_incremental"]["input"] == {"full_refresh": False}
    assert schedules["daily_full_refresh"]["input"] == {"full_refresh": True}
    assert re.fullmatch(
        r"cron\(\S+ \S+ \S+ \S+ \S+ \S+\)", schedules["daily_full_refresh"]["schedule_expression"]
    )
