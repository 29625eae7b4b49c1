variable "region" {
  description = "AWS region of the whole deployment."
  type        = string
}

variable "environment" {
  description = "Name of this deployment (dev, prod): part of every resource name."
  type        = string
}

variable "alert_email" {
  description = "Who gets the alerts and alarms (confirm the subscription e-mail once)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the warehouse and the pipeline's tasks."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of that VPC."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets of the warehouse and the tasks (three, in different AZs, for Serverless)."
  type        = list(string)
}

variable "image" {
  description = "The project's container image (ECR URI with tag), built from this repository."
  type        = string
}

variable "image_repository_arn" {
  description = "ARN of the ECR repository holding that image."
  type        = string
}

variable "redshift_password_secret_arn" {
  description = "Secrets Manager secret of the dbt user's Redshift password."
  type        = string
}

variable "pii_salt_secret_arn" {
  description = "Secrets Manager secret of the salt of the e-mail and phone hashes (C360_PII_SALT)."
  type        = string
}

variable "lambda_package_path" {
  description = "The consumer's zip, from `make lambda-zip` (c360/packaging.py)."
  type        = string
  default     = "../build/lambda/c360-consumer.zip"
}

variable "glue_package_path" {
  description = "The compaction job's package, from `make lambda-zip`."
  type        = string
  default     = "../build/glue/c360-compaction.zip"
}

variable "kinesis_on_demand" {
  description = "Kinesis capacity: on-demand (true) or provisioned shards (false)."
  type        = bool
  default     = true
}

variable "kinesis_shard_count" {
  description = "Shards of the clickstream stream when kinesis_on_demand is false."
  type        = number
  default     = 1
}

variable "consumer_reserved_concurrency" {
  description = "Concurrent invocations reserved for the Kinesis consumer."
  type        = number
  default     = 10
}

variable "lake_noncurrent_days" {
  description = "Days a replaced or deleted lake object's old version is kept."
  type        = number
  default     = 30
}

variable "redshift_serverless" {
  description = "Redshift Serverless (true) or a provisioned cluster (false)."
  type        = bool
  default     = true
}

variable "redshift_node_type" {
  description = "Node type of a provisioned cluster."
  type        = string
  default     = "ra3.large"
}

variable "redshift_number_of_nodes" {
  description = "Nodes of a provisioned cluster."
  type        = number
  default     = 1
}
