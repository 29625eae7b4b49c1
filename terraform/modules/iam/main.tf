# One least-privilege role per service. Every statement names its actions (never "*")
# and the ARNs this deployment creates; the only wildcard resources are the APIs AWS
# defines without one (X-Ray, CloudWatch PutMetricData, ECR's token, log delivery), each
# marked. tests/test_terraform.py checks that each role allows exactly the API calls its
# code makes (derived from the code) plus a documented list of what AWS itself needs.

locals {
  # role: the AWS services that assume it
  roles = {
    consumer       = ["lambda.amazonaws.com"]
    compaction     = ["glue.amazonaws.com"]
    pipeline       = ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"]
    task_execution = ["ecs-tasks.amazonaws.com"]
    state_machine  = ["states.amazonaws.com"]
    scheduler      = ["scheduler.amazonaws.com"]
    spectrum       = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
  }
}

data "aws_iam_policy_document" "assume" {
  for_each = local.roles
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = each.value
    }
  }
}

resource "aws_iam_role" "this" {
  for_each           = local.roles
  name               = "${var.name}-${replace(each.key, "_", "-")}"
  assume_role_policy = data.aws_iam_policy_document.assume[each.key].json
}

# --- the Kinesis consumer (loaders/streaming/kinesis_consumer.py) ----------------------------------

data "aws_iam_policy_document" "consumer" {
  statement {
    # Only conditional PUTs (If-None-Match): a replayed batch finds its objects without reading them.
    sid       = "LakeObjects"
    actions   = ["s3:PutObject"]
    resources = ["${var.lake_bucket_arn}/raw/web/events/*", "${var.lake_bucket_arn}/quarantine/web/events/*", "${var.lake_bucket_arn}/_receipts/*"]
  }
  statement {
    sid       = "LakeKey"
    actions   = ["kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "EventSourceMappingReadsTheStream"
    actions   = ["kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards"]
    resources = [var.stream_arn]
  }
  statement {
    sid       = "OnFailureDestination"
    actions   = ["sqs:SendMessage"]
    resources = [var.on_failure_queue_arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/lambda/${var.name}-consumer:*"]
  }
  statement {
    # checkov:skip=CKV_AWS_111:X-Ray's trace APIs have no resource type; "*" is the only resource they take
    # checkov:skip=CKV_AWS_356:X-Ray's trace APIs have no resource type; "*" is the only resource they take
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

# --- the compaction job (loaders/compaction/glue_job.py) -------------------------------------

data "aws_iam_policy_document" "compaction" {
  statement {
    sid       = "LakeObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.lake_bucket_arn}/raw/web/events/*", "${var.lake_bucket_arn}/compacted/web/events/*", "${var.lake_bucket_arn}/_deploy/glue/*"]
  }
  statement {
    sid       = "LakeListing"
    actions   = ["s3:ListBucket"]
    resources = [var.lake_bucket_arn]
  }
  statement {
    sid       = "LakeKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = ["arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws-glue/*"]
  }
}

# --- the pipeline's tasks and steps Lambda (c360 step NAME) ------------------------------

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "LakeObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${var.lake_bucket_arn}/*"]
  }
  statement {
    sid       = "LakeListing"
    actions   = ["s3:ListBucket"]
    resources = [var.lake_bucket_arn]
  }
  statement {
    sid       = "LakeKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "Alerts"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }
  statement {
    sid       = "TaskTokens"
    actions   = ["states:SendTaskSuccess", "states:SendTaskFailure"]
    resources = [var.state_machine_arn]
  }
  statement {
    # checkov:skip=CKV_AWS_111:PutMetricData has no resource type; the condition pins the namespace
    # checkov:skip=CKV_AWS_356:PutMetricData has no resource type; the condition pins the namespace
    sid       = "RunMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${var.region}:${var.account_id}:log-group:/c360/${var.name}/*", "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/lambda/${var.name}-steps:*"]
  }
  statement {
    # checkov:skip=CKV_AWS_111:X-Ray's trace APIs have no resource type; "*" is the only resource they take
    # checkov:skip=CKV_AWS_356:X-Ray's trace APIs have no resource type; "*" is the only resource they take
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

# --- ECS: pulling the image and handing the secrets to the task ---------------------------

data "aws_iam_policy_document" "task_execution" {
  statement {
    # checkov:skip=CKV_AWS_111:GetAuthorizationToken has no resource type; "*" is the only resource it takes
    # checkov:skip=CKV_AWS_356:GetAuthorizationToken has no resource type; "*" is the only resource it takes
    sid       = "RegistryToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "Image"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.image_repository_arn]
  }
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = var.secret_arns
  }
  statement {
    sid       = "SecretsKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${var.region}:${var.account_id}:log-group:/c360/${var.name}/*"]
  }
}

# --- the state machine ---------------------------------------------------------------------

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid       = "LandStep"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.steps_function_arn, "${var.steps_function_arn}:*"]
  }
  statement {
    sid       = "CompactStep"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    resources = [var.glue_job_arn]
  }
  statement {
    sid       = "FargateSteps"
    actions   = ["ecs:RunTask"]
    resources = ["arn:aws:ecs:${var.region}:${var.account_id}:task-definition/${var.name}-step:*"]
  }
  statement {
    sid       = "FargateStepsStop"
    actions   = ["ecs:StopTask", "ecs:DescribeTasks"]
    resources = ["arn:aws:ecs:${var.region}:${var.account_id}:task/${var.name}-pipeline/*"]
  }
  statement {
    sid       = "PassTheTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.this["pipeline"].arn, aws_iam_role.this["task_execution"].arn]
  }
  statement {
    sid       = "AlertState"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }
  statement {
    sid       = "AlertKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    # checkov:skip=CKV_AWS_111:the CloudWatch Logs delivery APIs Step Functions logging needs take no resource
    # checkov:skip=CKV_AWS_356:the CloudWatch Logs delivery APIs Step Functions logging needs take no resource
    sid       = "ExecutionLogsAndTraces"
    actions   = ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartRuns"
    actions   = ["states:StartExecution"]
    resources = [var.state_machine_arn]
  }
}

# --- Redshift Spectrum (c360 spectrum's external schema and tables) ------------------------

data "aws_iam_policy_document" "spectrum" {
  statement {
    sid     = "ReadTheLake"
    actions = ["s3:GetObject"]
    # c360-check/: the sample `c360 redshift check` lands, under a prefix of its own.
    resources = [
      "${var.lake_bucket_arn}/raw/*",
      "${var.lake_bucket_arn}/compacted/*",
      "${var.lake_bucket_arn}/c360-check/*",
    ]
  }
  statement {
    sid       = "ListTheLake"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.lake_bucket_arn]
  }
  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid = "Catalog"
    # DeleteDatabase: `c360 redshift check` drops its own external schemas with their
    # databases (c360_<check prefix>raw_*), which the resources below also match.
    actions   = ["glue:GetDatabase", "glue:GetDatabases", "glue:CreateDatabase", "glue:DeleteDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition", "glue:BatchCreatePartition", "glue:DeletePartition", "glue:BatchDeletePartition"]
    resources = [
      "arn:aws:glue:${var.region}:${var.account_id}:catalog",
      "arn:aws:glue:${var.region}:${var.account_id}:database/${var.catalog_database_prefix}*raw_*",
      "arn:aws:glue:${var.region}:${var.account_id}:table/${var.catalog_database_prefix}*raw_*/*",
    ]
  }
}

# Each role's policy: the document of the same name above.
resource "aws_iam_role_policy" "this" {
  for_each = {
    consumer       = data.aws_iam_policy_document.consumer.json
    compaction     = data.aws_iam_policy_document.compaction.json
    pipeline       = data.aws_iam_policy_document.pipeline.json
    task_execution = data.aws_iam_policy_document.task_execution.json
    state_machine  = data.aws_iam_policy_document.state_machine.json
    scheduler      = data.aws_iam_policy_document.scheduler.json
    spectrum       = data.aws_iam_policy_document.spectrum.json
  }
  name   = replace(each.key, "_", "-")
  role   = aws_iam_role.this[each.key].id
  policy = each.value
}
