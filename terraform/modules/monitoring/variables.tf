variable "name" {
  description = "Prefix of the topic's, alarms' and dashboard's names."
  type        = string
}

variable "region" {
  description = "Region of the dashboard's metrics."
  type        = string
}

variable "kms_key_arn" {
  description = "The CMK the alert topic is encrypted with."
  type        = string
}

variable "alert_email" {
  description = "Who gets the alerts (confirm the subscription e-mail once)."
  type        = string
}

variable "stream_name" {
  description = "The clickstream stream (module kinesis)."
  type        = string
}

variable "consumer_function_name" {
  description = "The Kinesis consumer (module lambda)."
  type        = string
}

variable "on_failure_queue_name" {
  description = "The consumer's on-failure queue (module lambda)."
  type        = string
}

variable "state_machine_arn" {
  description = "The pipeline (module step_functions)."
  type        = string
}

variable "glue_job_name" {
  description = "The compaction job (module glue)."
  type        = string
}

variable "redshift_serverless" {
  description = "Whether the warehouse is Serverless (its metrics differ)."
  type        = bool
}

variable "redshift_identifier" {
  description = "The workgroup (Serverless) or cluster identifier."
  type        = string
}

variable "redshift_namespace_name" {
  description = "The Serverless namespace (its storage metric)."
  type        = string
}

variable "redshift_max_rpu" {
  description = "Serverless: RPUs above 90 % of which the CPU alarm fires."
  type        = number
  default     = 64
}

variable "redshift_storage_alarm_mb" {
  description = "Serverless: stored megabytes above which the disk alarm fires."
  type        = number
  default     = 500000
}

variable "metrics_namespace" {
  description = "Namespace of the metrics c360's report step publishes (C360_METRICS_NAMESPACE)."
  type        = string
  default     = "c360"
}
