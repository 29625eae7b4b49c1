"""The cloud twin of ``c360 run``: the Step Functions state machine, generated from the steps.

Every step of ``c360.pipeline.steps.STEPS`` becomes a state of the same name, in the same order,
run as its ``cloud`` kind says:

- ``ecs``: a Fargate task running ``c360 step NAME --event <run document>`` from the
  project's image. The task reports back with the task token it gets in
  ``C360_TASK_TOKEN`` (``c360 step`` calls SendTaskSuccess with the run document, or
  SendTaskFailure), so the next state receives the document with the step's entry added.
- ``lambda``: the steps Lambda (``c360.pipeline.runner.lambda_handler``), same document in and out.
- ``glue``: the compaction Glue job, ``--scope closed`` (``loaders.compaction.glue_job``).
- ``choice``: a Choice state. ``gate`` passes on the fields the build writes
  (``build_passed``, or ``nothing_new_since`` when freshness found nothing new), as the
  local gate step does.
- ``pass``: nothing to call in AWS (the Kinesis consumer Lambda streams continuously).

Any failure is caught and goes to ``alert`` (an SNS publish), then ``report`` writes the
run document (its task has no ``C360_ALERT_TOPIC_ARN``: the state machine has alerted),
and the execution fails. AWS calls retry with exponential backoff. EventBridge schedules beside it start an
hourly incremental run and a daily full refresh.

The definition is a Terraform ``templatefile``: ``${...}`` are the ARNs and names the
``step_functions`` module fills in. ``c360 statemachine`` writes it and the schedules to
``terraform/modules/step_functions/``; ``--check`` fails when they are out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from c360.pipeline.context import Step
from c360.pipeline.steps import STEPS
from c360.settings import PROJECT_ROOT

OUTPUT_DIR = PROJECT_ROOT / "terraform" / "modules" / "step_functions"
DEFINITION_FILE = "c360_pipeline.asl.json"
SCHEDULES_FILE = "schedules.json"
CONTAINER = "c360"  # the container name in the ECS task definition

# Transient errors of each service, retried with exponential backoff; a failed step is not.
RETRY = {
    "ecs": ["ECS.AmazonECSException", "ECS.ServerException", "ECS.ThrottlingException"],
    "lambda": [
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    ],
    "glue": [
        "Glue.InternalServiceException",
        "Glue.ConcurrentRunsExceededException",
        "Glue.ThrottlingException",
    ],
    "sns": ["SNS.InternalErrorException", "SNS.ThrottledException"],
}
RETRY_POLICY = {"IntervalSeconds": 5, "MaxAttempts": 4, "BackoffRate": 2.0, "JitterStrategy": "FULL"}
CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "alert"}]


def _retry(service: str) -> list[dict[str, Any]]:
    return [{"ErrorEquals": RETRY[service], **RETRY_POLICY}]


def _ecs_task(step: Step) -> dict[str, Any]:
    command = f"States.Array('c360', 'step', '{step.name}', '--event', States.JsonToString($))"
    return {
        "Type": "Task",
        "Comment": step.does,
        "Resource": "arn:aws:states:::ecs:runTask.waitForTaskToken",
        "Parameters": {
            "Cluster": "${ecs_cluster_arn}",
            "TaskDefinition": "${task_definition_arn}",
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "Subnets": ["${subnet_id}"],
                    "SecurityGroups": ["${security_group_id}"],
                    "AssignPublicIp": "DISABLED",
                }
            },
            "Overrides": {
                "ContainerOverrides": [
                    {
                        "Name": CONTAINER,
                        "Command.$": command,
                        "Environment": [{"Name": "C360_TASK_TOKEN", "Value.$": "$$.Task.Token"}],
                    }
                ]
            },
        },
        # A task that never reports back (its container died) fails after an hour; c360
        # step sends no heartbeats, so none is required.
        "TimeoutSeconds": 3600,
        "ResultPath": "$",
        "Retry": _retry("ecs"),
        "Catch": CATCH_ALL,
    }


def _lambda_task(step: Step) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Comment": step.does,
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {
            "FunctionName": "${steps_function_arn}",
            "Payload": {"step": step.name, "document.$": "$"},
        },
        "ResultSelector": {"document.$": "$.Payload"},
        "OutputPath": "$.document",
        "Retry": _retry("lambda"),
        "Catch": CATCH_ALL,
    }


def _glue_task(step: Step) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Comment": step.does,
        "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {
            "JobName": "${glue_job_name}",
            "Arguments": {"--lake": "${lake_uri}", "--scope": "closed", "--run-id.$": "$.run_id"},
        },
        "ResultPath": "$.compact_job",
        "Retry": _retry("glue"),
        "Catch": CATCH_ALL,
    }


def _state(step: Step) -> dict[str, Any]:
    if step.cloud == "ecs":
        return _ecs_task(step)
    if step.cloud == "lambda":
        return _lambda_task(step)
    if step.cloud == "glue":
        return _glue_task(step)
    if step.cloud == "pass":
        return {
            "Type": "Pass",
            "Comment": step.does + " In AWS the Kinesis consumer Lambda does this continuously.",
        }
    raise ValueError(f"step {step.name}: unknown cloud kind {step.cloud!r}")


def definition() -> dict[str, Any]:
    """The state machine in Amazon States Language (a dict; see ``render``)."""
    names = [step.name for step in STEPS]
    states: dict[str, Any] = {}
    for index, step in enumerate(STEPS):
        following = names[index + 1] if index + 1 < len(names) else "finished"
        if step.cloud == "choice":
            states[step.name] = {
                "Type": "Choice",
                "Comment": step.does,
                "Choices": [
                    {"Variable": "$.nothing_new_since", "IsPresent": True, "Next": following},
                    {"Variable": "$.build_passed", "BooleanEquals": True, "Next": following},
                ],
                "Default": "alert",
            }
            continue
        state = _state(step)
        if step.name == "report":
            state.pop("Catch")  # the failure path ends here too: a report failure fails the run
        state["Next"] = following
        states[step.name] = state
    states["alert"] = {
        "Type": "Task",
        "Comment": "A failed run: tell the people on call (the last good build keeps serving).",
        "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {
            "TopicArn": "${alert_topic_arn}",
            "Subject.$": "States.Format('c360 run {} failed', $.run_id)",
            "Message.$": "States.JsonToString($)",
        },
        "ResultPath": "$.alert",
        "Retry": _retry("sns"),
        "Next": "report",
    }
    states["finished"] = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.status", "StringEquals": "failed", "Next": "run_failed"}],
        "Default": "run_succeeded",
    }
    states["run_failed"] = {
        "Type": "Fail",
        "Error": "C360RunFailed",
        "Cause": "See the run document in _runs/.",
    }
    states["run_succeeded"] = {"Type": "Succeed"}
    return {
        "Comment": (
            "c360 pipeline: the steps of c360.pipeline.steps, as `c360 run` runs them"
            " (generated; do not edit)"
        ),
        "StartAt": names[0],
        "TimeoutSeconds": 4 * 3600,
        "States": states,
    }


def schedules() -> dict[str, Any]:
    """EventBridge schedules: hourly incremental runs and a daily full refresh."""
    return {
        "hourly_incremental": {
            "schedule_expression": "rate(1 hour)",
            "description": "Land, compact and build what arrived in the last hour.",
            "input": {"full_refresh": False},
        },
        "daily_full_refresh": {
            "schedule_expression": "cron(30 3 * * ? *)",
            "description": "Rebuild every model from the lake (dbt build --full-refresh) at 03:30 UTC.",
            "input": {"full_refresh": True},
        },
    }


def render() -> dict[str, str]:
    """The generated files, by name, as they are written."""
    return {
        DEFINITION_FILE: json.dumps(definition(), indent=2) + "\n",
        SCHEDULES_FILE: json.dumps(schedules(), indent=2) + "\n",
    }


def write(directory: Path = OUTPUT_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        (directory / name).write_text(text, encoding="utf-8")
        written.append(directory / name)
    return written


def stale(directory: Path = OUTPUT_DIR) -> list[Path]:
    """The generated files that are missing or differ from what the steps give."""
    return [
        directory / name
        for name, text in render().items()
        if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text
    ]
