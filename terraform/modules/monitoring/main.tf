# What pages someone: one SNS topic (encrypted, with an e-mail subscription) that the
# pipeline's alerts and every alarm below go to, and a dashboard of the same metrics.

resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-alerts"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

locals {
  redshift_namespace = var.redshift_serverless ? "AWS/Redshift-Serverless" : "AWS/Redshift"
  redshift_dimension = var.redshift_serverless ? { Workgroup = var.redshift_identifier } : { ClusterIdentifier = var.redshift_identifier }

  # Every alarm, by name: what it watches and when it fires (above threshold, over
  # evaluation_periods periods of `period` seconds). Missing data is never a breach.
  alarms = {
    kinesis-iterator-age = {
      description = "The consumer is falling behind the clickstream (records older than 10 minutes)."
      namespace   = "AWS/Kinesis", metric = "GetRecords.IteratorAgeMilliseconds", statistic = "Maximum"
      dimensions  = { StreamName = var.stream_name }, threshold = 600000, periods = 2, period = 300
    }
    consumer-errors = {
      description = "The Kinesis consumer failed invocations."
      namespace   = "AWS/Lambda", metric = "Errors", statistic = "Sum"
      dimensions  = { FunctionName = var.consumer_function_name }, threshold = 0, periods = 1, period = 300
    }
    consumer-throttles = {
      description = "The Kinesis consumer hit its reserved concurrency."
      namespace   = "AWS/Lambda", metric = "Throttles", statistic = "Sum"
      dimensions  = { FunctionName = var.consumer_function_name }, threshold = 0, periods = 1, period = 300
    }
    consumer-on-failure-depth = {
      description = "Records the consumer gave up on are waiting in the on-failure queue."
      namespace   = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum"
      dimensions  = { QueueName = var.on_failure_queue_name }, threshold = 0, periods = 1, period = 300
    }
    pipeline-failed = {
      description = "A pipeline run (Step Functions execution) failed."
      namespace   = "AWS/States", metric = "ExecutionsFailed", statistic = "Sum"
      dimensions  = { StateMachineArn = var.state_machine_arn }, threshold = 0, periods = 1, period = 300
    }
    # Glue publishes no failure metric for this job: an EventBridge rule matches its failed
    # runs, and the alarm watches how often that rule fires.
    compaction-failed = {
      description = "The Glue compaction job failed."
      namespace   = "AWS/Events", metric = "TriggeredRules", statistic = "Sum"
      dimensions  = { RuleName = aws_cloudwatch_event_rule.glue_failed.name }, threshold = 0, periods = 1, period = 300
    }
    redshift-cpu = {
      description = "The warehouse is busy: CPU (or Serverless compute capacity) high for 15 minutes."
      namespace   = local.redshift_namespace, metric = var.redshift_serverless ? "ComputeCapacity" : "CPUUtilization", statistic = "Average"
      dimensions  = local.redshift_dimension, threshold = var.redshift_serverless ? var.redshift_max_rpu * 0.9 : 90, periods = 3, period = 300
    }
    redshift-disk = {
      description = "The warehouse's storage is filling up."
      namespace   = local.redshift_namespace, metric = var.redshift_serverless ? "DataStorage" : "PercentageDiskSpaceUsed", statistic = "Maximum"
      dimensions  = var.redshift_serverless ? { Namespace = var.redshift_namespace_name } : local.redshift_dimension
      threshold   = var.redshift_serverless ? var.redshift_storage_alarm_mb : 80, periods = 1, period = 300
    }
    dbt-test-failures = {
      description = "A run's dbt build had failing tests (c360's report step publishes FailedTests)."
      namespace   = var.metrics_namespace, metric = "FailedTests", statistic = "Maximum"
      dimensions  = { Target = "redshift" }, threshold = 0, periods = 1, period = 3600
    }
  }
}

resource "aws_cloudwatch_event_rule" "glue_failed" {
  name        = "${var.name}-compaction-failed"
  description = "The compaction job failed, timed out or was stopped."
  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      jobName = [var.glue_job_name]
      state   = ["FAILED", "TIMEOUT", "ERROR"]
    }
  })
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_dashboard" "c360" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [
      for index, alarm in values(aws_cloudwatch_metric_alarm.this) : {
        type   = "metric"
        x      = (index % 3) * 8
        y      = floor(index / 3) * 6
        width  = 8
        height = 6
        properties = {
          title   = alarm.alarm_description
          region  = var.region
          stat    = alarm.statistic
          period  = alarm.period
          metrics = [concat([alarm.namespace, alarm.metric_name], flatten([for key, value in alarm.dimensions : [key, value]]))]
          annotations = { horizontal = [{ value = alarm.threshold, label = "alarm" }] }
        }
      }
    ]
  })
}
