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
  alarm_actions = [aws_sns_topic.alerts.arn]
  redshift_namespace = var.redshift_serverless ? "AWS/Redshift-Serverless" : "AWS/Redshift"
  redshift_dimension = var.redshift_serverless ? { Workgroup = var.redshift_identifier } : { ClusterIdentifier = var.redshift_identifier }
}

resource "aws_cloudwatch_metric_alarm" "kinesis_iterator_age" {
  alarm_name          = "${var.name}-kinesis-iterator-age"
  alarm_description   = "The consumer is falling behind the clickstream (records older than 10 minutes)."
  namespace           = "AWS/Kinesis"
  metric_name         = "GetRecords.IteratorAgeMilliseconds"
  dimensions          = { StreamName = var.stream_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 600000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "${var.name}-consumer-errors"
  alarm_description   = "The Kinesis consumer failed invocations."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = var.consumer_function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "${var.name}-consumer-throttles"
  alarm_description   = "The Kinesis consumer hit its reserved concurrency."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = var.consumer_function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "on_failure_depth" {
  alarm_name          = "${var.name}-consumer-on-failure-depth"
  alarm_description   = "Records the consumer gave up on are waiting in the on-failure queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.on_failure_queue_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "pipeline_failed" {
  alarm_name          = "${var.name}-pipeline-failed"
  alarm_description   = "A pipeline run (Step Functions execution) failed."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = var.state_machine_arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

# Glue Python shell jobs publish no failure metric: an EventBridge rule matches their
# failed runs, and the alarm watches how often that rule fires.
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

resource "aws_cloudwatch_metric_alarm" "glue_failed" {
  alarm_name          = "${var.name}-compaction-failed"
  alarm_description   = "The Glue compaction job failed."
  namespace           = "AWS/Events"
  metric_name         = "TriggeredRules"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.glue_failed.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "redshift_cpu" {
  alarm_name          = "${var.name}-redshift-cpu"
  alarm_description   = "The warehouse is busy: CPU (or Serverless compute capacity) high for 15 minutes."
  namespace           = local.redshift_namespace
  metric_name         = var.redshift_serverless ? "ComputeCapacity" : "CPUUtilization"
  dimensions          = local.redshift_dimension
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.redshift_serverless ? var.redshift_max_rpu * 0.9 : 90
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "redshift_disk" {
  alarm_name          = "${var.name}-redshift-disk"
  alarm_description   = "The warehouse's storage is filling up."
  namespace           = local.redshift_namespace
  metric_name         = var.redshift_serverless ? "DataStorage" : "PercentageDiskSpaceUsed"
  dimensions          = var.redshift_serverless ? { Namespace = var.redshift_namespace_name } : local.redshift_dimension
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.redshift_serverless ? var.redshift_storage_alarm_mb : 80
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dbt_test_failures" {
  alarm_name          = "${var.name}-dbt-test-failures"
  alarm_description   = "A run's dbt build had failing tests (c360 report publishes FailedTests)."
  namespace           = var.metrics_namespace
  metric_name         = "FailedTests"
  dimensions          = { Target = "redshift" }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_dashboard" "c360" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [
      for index, alarm in [
        aws_cloudwatch_metric_alarm.kinesis_iterator_age,
        aws_cloudwatch_metric_alarm.lambda_errors,
        aws_cloudwatch_metric_alarm.lambda_throttles,
        aws_cloudwatch_metric_alarm.on_failure_depth,
        aws_cloudwatch_metric_alarm.pipeline_failed,
        aws_cloudwatch_metric_alarm.glue_failed,
        aws_cloudwatch_metric_alarm.redshift_cpu,
        aws_cloudwatch_metric_alarm.redshift_disk,
        aws_cloudwatch_metric_alarm.dbt_test_failures,
      ] : {
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
