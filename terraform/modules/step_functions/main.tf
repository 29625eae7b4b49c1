# The pipeline in AWS: the state machine generated from c360/pipeline/steps.py (c360 statemachine
# writes c360_pipeline.asl.json beside this file; it is read here, never copied), the
# EventBridge schedules declared beside it (schedules.json), and where its steps run:
# - land: the steps Lambda, the project's container image (c360.pipeline.runner.lambda_handler);
# - load_raw, freshness, build, publish, report: Fargate tasks of the same image running
#   `c360 step NAME --event <document>` (dbt runs there: `c360 step build --target
#   redshift`), in private subnets that reach the warehouse;
# - compact: the Glue job (module glue).

locals {
  schedules = jsondecode(file("${path.module}/schedules.json"))
  task_environment = [
    { name = "C360_LAKE", value = var.lake_uri },
    { name = "C360_TARGET", value = "redshift" },
    { name = "C360_REDSHIFT_HOST", value = var.redshift_host },
    { name = "C360_REDSHIFT_DATABASE", value = var.redshift_database },
    { name = "C360_KMS_KEY_ID", value = var.kms_key_arn },
    { name = "C360_ALERT_TOPIC_ARN", value = var.alert_topic_arn },
    { name = "C360_METRICS_NAMESPACE", value = var.metrics_namespace },
    # The root filesystem is read-only: dbt's artefacts and c360's build records go to
    # the task's scratch volume.
    { name = "DBT_TARGET_PATH", value = "/scratch/dbt-target" },
    { name = "C360_WAREHOUSE", value = "/scratch/warehouse/c360.duckdb" },
    { name = "HOME", value = "/scratch" },
  ]
}

resource "aws_security_group" "tasks" {
  # checkov:skip=CKV2_AWS_5:the tasks are started by the state machine, whose definition (a templatefile) attaches this group to every RunTask
  name        = "${var.name}-pipeline-tasks"
  description = "The pipeline's Fargate tasks: out to AWS APIs and the warehouse only"
  vpc_id      = var.vpc_id

  egress {
    description = "HTTPS to AWS APIs (S3, Step Functions, SNS) and the warehouse"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description = "Redshift"
    from_port   = 5439
    to_port     = 5439
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
}

resource "aws_cloudwatch_log_group" "pipeline" {
  name              = "/c360/${var.name}/pipeline"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_group" "state_machine" {
  name              = "/aws/vendedlogs/states/${var.name}-pipeline"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_ecs_cluster" "pipeline" {
  name = "${var.name}-pipeline"
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "step" {
  family                   = "${var.name}-step"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 2048
  memory                   = 8192
  execution_role_arn       = var.task_execution_role_arn
  task_role_arn            = var.pipeline_role_arn

  volume {
    name = "scratch"
  }

  container_definitions = jsonencode([
    {
      name                   = "c360"
      image                  = var.image
      essential              = true
      readonlyRootFilesystem = true
      mountPoints            = [{ sourceVolume = "scratch", containerPath = "/scratch", readOnly = false }]
      environment            = local.task_environment
      secrets = [
        { name = "DBT_ENV_SECRET_REDSHIFT_PASSWORD", valueFrom = var.redshift_password_secret_arn },
        { name = "C360_PII_SALT", valueFrom = var.pii_salt_secret_arn },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.pipeline.name
          awslogs-region        = var.region
          awslogs-stream-prefix = "step"
        }
      }
    }
  ])
}

resource "aws_lambda_function" "steps" {
  # checkov:skip=CKV_AWS_116:the state machine invokes it synchronously and catches its failure (alert, report); a DLQ would never receive anything
  # checkov:skip=CKV_AWS_117:the land step reads and writes S3 through its public endpoint; a VPC adds nothing
  # checkov:skip=CKV_AWS_272:code signing does not apply to a container image function
  function_name                  = "${var.name}-steps"
  role                           = var.pipeline_role_arn
  package_type                   = "Image"
  image_uri                      = var.image
  timeout                        = 900
  memory_size                    = 2048
  reserved_concurrent_executions = 2
  kms_key_arn                    = var.kms_key_arn

  image_config {
    command = ["c360.pipeline.runner.lambda_handler"]
  }

  environment {
    variables = {
      C360_LAKE       = var.lake_uri
      C360_TARGET     = "redshift"
      C360_KMS_KEY_ID = var.kms_key_arn
    }
  }

  tracing_config {
    mode = "Active"
  }
}

resource "aws_sfn_state_machine" "pipeline" {
  name     = "${var.name}-pipeline"
  role_arn = var.state_machine_role_arn
  definition = templatefile("${path.module}/c360_pipeline.asl.json", {
    steps_function_arn  = aws_lambda_function.steps.arn
    glue_job_name       = var.glue_job_name
    lake_uri            = var.lake_uri
    ecs_cluster_arn     = aws_ecs_cluster.pipeline.arn
    task_definition_arn = aws_ecs_task_definition.step.arn
    subnet_id           = var.private_subnet_ids[0]
    security_group_id   = aws_security_group.tasks.id
    alert_topic_arn     = var.alert_topic_arn
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }
}

resource "aws_scheduler_schedule" "pipeline" {
  for_each                     = local.schedules
  name                         = "${var.name}-${replace(each.key, "_", "-")}"
  description                  = each.value.description
  schedule_expression          = each.value.schedule_expression
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.pipeline.arn
    role_arn = var.scheduler_role_arn
    input    = jsonencode(each.value.input)
  }
}
