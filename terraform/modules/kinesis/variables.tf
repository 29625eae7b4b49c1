variable "name" {
  description = "Prefix of the stream's name (<name>-events)."
  type        = string
}

variable "kms_key_arn" {
  description = "The CMK the stream is encrypted with."
  type        = string
}

variable "on_demand" {
  description = "On-demand capacity (true) or provisioned shards (false)."
  type        = bool
  default     = true
}

variable "shard_count" {
  description = "Shards when provisioned."
  type        = number
  default     = 1
}

variable "retention_hours" {
  description = "How long records stay in the stream (the consumer's window to catch up)."
  type        = number
  default     = 48
}
