# The Kinesis consumer: loaders/streaming/kinesis_consumer.py, packaged by `make lambda-zip` with
# only what its handler imports. The event source mapping reads the stream in batches,
# reports partial failures (ReportBatchItemFailures), bisects a failing batch, gives up on
# a record after var.maximum_retry_attempts or var.maximum_record_age_seconds, and sends
# what it gave up on to an encrypted SQS queue (the on-failure destination).

resource "aws_cloudwatch_log_group" "consumer" {
  name              = "/aws/lambda/${var.name}-consumer"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_sqs_queue" "on_failure" {
  name                       = "${var.name}-consumer-on-failure"
  kms_master_key_id          = var.kms_key_arn
  message_retention_seconds  = 1209600
  visibility_timeout_seconds = 300
}

resource "aws_lambda_function" "consumer" {
  # checkov:skip=CKV_AWS_116:a stream-triggered function has no DLQ; failed batches go to the event source mapping's on-failure destination (the SQS queue)
  # checkov:skip=CKV_AWS_117:the consumer reaches S3 and KMS over the public AWS endpoints; a VPC would need NAT or endpoints for no gain
  # checkov:skip=CKV_AWS_272:code signing needs a signing profile per account; the package is built by make lambda-zip in CI
  function_name                  = "${var.name}-consumer"
  role                           = var.role_arn
  runtime                        = "python3.11"
  handler                        = "loaders.streaming.kinesis_consumer.handler"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  memory_size                    = 512
  timeout                        = 120
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = {
      C360_LAKE        = var.lake_uri
      C360_KMS_KEY_ID  = var.kms_key_arn
    }
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.consumer]
}

resource "aws_lambda_event_source_mapping" "stream" {
  event_source_arn                   = var.stream_arn
  function_name                      = aws_lambda_function.consumer.arn
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window_seconds
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = var.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.maximum_record_age_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.on_failure.arn
    }
  }
}
