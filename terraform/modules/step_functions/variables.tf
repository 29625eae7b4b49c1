variable "name" {
  description = "Prefix of every resource's name."
  type        = string
}

variable "region" {
  description = "Region of the task logs."
  type        = string
}

variable "image" {
  description = "The project's container image (c360 with dbt), for the Fargate tasks and the steps Lambda."
  type        = string
}

variable "lake_uri" {
  description = "s3://bucket/ of the lake (C360_LAKE)."
  type        = string
}

variable "kms_key_arn" {
  description = "The CMK of the logs, the Lambda environment and the schedules."
  type        = string
}

variable "glue_job_name" {
  description = "The compaction job (module glue)."
  type        = string
}

variable "alert_topic_arn" {
  description = "The SNS topic a failed run alerts (module monitoring)."
  type        = string
}

variable "redshift_host" {
  description = "The warehouse's endpoint (module redshift)."
  type        = string
}

variable "redshift_database" {
  description = "The database dbt builds into."
  type        = string
}

variable "redshift_password_secret_arn" {
  description = "Secrets Manager secret of the dbt user's password (DBT_ENV_SECRET_REDSHIFT_PASSWORD)."
  type        = string
}

variable "pii_salt_secret_arn" {
  description = "Secrets Manager secret of the e-mail and phone hash salt (C360_PII_SALT)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the tasks (the warehouse's)."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC (egress to the warehouse)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "pipeline_role_arn" {
  description = "Role of the tasks and the steps Lambda (module iam)."
  type        = string
}

variable "task_execution_role_arn" {
  description = "ECS execution role: pulls the image, reads the secrets, writes logs (module iam)."
  type        = string
}

variable "state_machine_role_arn" {
  description = "The state machine's role (module iam)."
  type        = string
}

variable "scheduler_role_arn" {
  description = "EventBridge Scheduler's role to start executions (module iam)."
  type        = string
}

variable "metrics_namespace" {
  description = "Namespace of the run metrics the report step publishes (C360_METRICS_NAMESPACE)."
  type        = string
  default     = "c360"
}

variable "log_retention_days" {
  description = "Days the pipeline's logs are kept."
  type        = number
  default     = 365
}
