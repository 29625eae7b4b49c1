variable "name" {
  description = "Prefix of the function's name (<name>-consumer)."
  type        = string
}

variable "role_arn" {
  description = "The consumer's execution role (module iam)."
  type        = string
}

variable "package_path" {
  description = "The zip `make lambda-zip` builds from loaders/."
  type        = string
}

variable "stream_arn" {
  description = "The clickstream stream the function consumes."
  type        = string
}

variable "lake_uri" {
  description = "s3://bucket/ of the lake the consumer writes to (C360_LAKE)."
  type        = string
}

variable "kms_key_arn" {
  description = "The CMK of the lake, the queue, the logs and the function's environment."
  type        = string
}

variable "batch_size" {
  description = "Records per invocation (loaders.streaming.kinesis_consumer.DEFAULT_BATCH_SIZE)."
  type        = number
  default     = 1000
}

variable "batching_window_seconds" {
  description = "Longest wait to fill a batch."
  type        = number
  default     = 5
}

variable "maximum_retry_attempts" {
  description = "Retries of a failing record before it goes to the on-failure queue."
  type        = number
  default     = 5
}

variable "maximum_record_age_seconds" {
  description = "Age after which a record goes to the on-failure queue unprocessed."
  type        = number
  default     = 86400
}

variable "reserved_concurrency" {
  description = "Concurrent invocations reserved (and capped) for the consumer."
  type        = number
  default     = 10
}

variable "log_retention_days" {
  description = "Days the function's logs are kept."
  type        = number
  default     = 365
}
