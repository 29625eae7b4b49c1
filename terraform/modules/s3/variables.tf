variable "name" {
  description = "Prefix of the bucket names."
  type        = string
}

variable "kms_key_arn" {
  description = "The CMK every object is encrypted with (SSE-KMS, bucket keys)."
  type        = string
}

variable "noncurrent_days" {
  description = "Days a replaced or deleted object's old version is kept."
  type        = number
  default     = 30
}

variable "log_days" {
  description = "Days the S3 access logs are kept."
  type        = number
  default     = 90
}
