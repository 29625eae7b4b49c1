"""Alerts of a failed run: a JSON file in the lake, and a message to SNS when configured.

The file (``_alerts/<run_id>.json``) is always written, so a laptop and CI have a record;
with ``C360_ALERT_TOPIC_ARN`` set, the same summary is published to that SNS topic, whose
subscriptions (e-mail, chat, paging) are configured in AWS.
"""

from __future__ import annotations

import json
import os
from typing import Any

from c360.pipeline.document import step_output
from loaders.lake.storage import Lake

ALERTS_PREFIX = "_alerts/"
SNS_SUBJECT_LIMIT = 100  # characters SNS accepts in a subject


def summary(document: dict[str, Any]) -> dict[str, Any]:
    """What someone paged needs: which run, which step failed and why, which tests, where to look."""
    failed = [entry for entry in document.get("steps", []) if entry.get("status") == "failed"]
    build = step_output(document, "build")
    return {
        "run_id": document.get("run_id"),
        "target": document.get("target"),
        "lake": document.get("lake"),
        "failed_step": failed[0]["name"] if failed else None,
        # A step's own error, or what the state machine caught ({"Error", "Cause"}).
        "error": failed[0].get("error") if failed else document.get("error"),
        "failing_tests": [
            {key: test.get(key) for key in ("test", "status", "failing_rows", "message")}
            for test in build.get("failures", [])
        ],
        "published_copy": "unchanged: the last good build keeps serving",
    }


def raise_alert(lake: Lake, document: dict[str, Any], sns: Any = None) -> dict[str, Any]:
    """Write the alert file and, if ``C360_ALERT_TOPIC_ARN`` is set, publish it to SNS."""
    alert = summary(document)
    key = f"{ALERTS_PREFIX}{document['run_id']}.json"
    lake.put_bytes(key, json.dumps(alert, indent=2, default=str).encode("utf-8"))
    raised: dict[str, Any] = {"file": lake.url(key)}
    topic = os.environ.get("C360_ALERT_TOPIC_ARN")
    if topic:
        if sns is None:
            import boto3

            sns = boto3.client("sns", endpoint_url=os.environ.get("C360_S3_ENDPOINT_URL") or None)
        subject = f"c360 run {alert['run_id']} failed at {alert['failed_step']}"[:SNS_SUBJECT_LIMIT]
        response = sns.publish(
            TopicArn=topic, Subject=subject, Message=json.dumps(alert, indent=2, default=str)
        )
        raised["sns_message_id"] = response["MessageId"]
    return raised


def publish_metrics(document: dict[str, Any], cloudwatch: Any = None) -> dict[str, float] | None:
    """With ``C360_METRICS_NAMESPACE`` set, the run's numbers as CloudWatch metrics
    (dimension ``Target``): FailedTests (the monitoring module's alarm), RunSeconds and
    Published (1 or 0). None when not configured."""
    namespace = os.environ.get("C360_METRICS_NAMESPACE")
    if not namespace:
        return None
    build = step_output(document, "build")
    values = {
        "FailedTests": float(len(build.get("failures") or [])),
        "RunSeconds": float(sum(step.get("seconds") or 0 for step in document.get("steps", []))),
        "Published": 1.0 if document.get("status") == "published" else 0.0,
    }
    if cloudwatch is None:
        import boto3

        cloudwatch = boto3.client("cloudwatch", endpoint_url=os.environ.get("C360_S3_ENDPOINT_URL") or None)
    dimensions = [{"Name": "Target", "Value": str(document.get("target"))}]
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": dimensions,
                "Value": value,
                "Unit": "Count" if name != "RunSeconds" else "Seconds",
            }
            for name, value in values.items()
        ],
    )
    return values
