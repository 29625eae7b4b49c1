variable "name" {
  description = "Prefix of every role's name, and of the resources the policies name."
  type        = string
}

variable "region" {
  description = "Region of the resources the policies name."
  type        = string
}

variable "account_id" {
  description = "Account of the resources the policies name."
  type        = string
}

variable "lake_bucket_arn" {
  description = "The lake's bucket (module s3)."
  type        = string
}

variable "kms_key_arn" {
  description = "The CMK (module kms)."
  type        = string
}

variable "stream_arn" {
  description = "The clickstream stream (module kinesis)."
  type        = string
}

variable "on_failure_queue_arn" {
  description = "The consumer's on-failure queue (module lambda)."
  type        = string
}

variable "alert_topic_arn" {
  description = "The alerts' topic (module monitoring)."
  type        = string
}

variable "state_machine_arn" {
  description = "The pipeline's state machine (module step_functions)."
  type        = string
}

variable "steps_function_arn" {
  description = "The steps Lambda (module step_functions)."
  type        = string
}

variable "glue_job_arn" {
  description = "The compaction job (module glue)."
  type        = string
}

variable "catalog_database_prefix" {
  description = "Prefix of the Glue catalog databases of the Spectrum tables (module glue)."
  type        = string
}

variable "image_repository_arn" {
  description = "The ECR repository of the project's image."
  type        = string
}

variable "secret_arns" {
  description = "The secrets the tasks receive (dbt's Redshift password, the PII salt)."
  type        = list(string)
}

variable "metrics_namespace" {
  description = "The CloudWatch namespace the report step publishes to."
  type        = string
  default     = "c360"
}
