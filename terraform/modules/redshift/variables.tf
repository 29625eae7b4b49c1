variable "name" {
  description = "Name of the namespace and workgroup, or of the cluster."
  type        = string
}

variable "serverless" {
  description = "Redshift Serverless (true) or a provisioned cluster (false)."
  type        = bool
  default     = true
}

variable "database" {
  description = "The database dbt builds into (C360_REDSHIFT_DATABASE)."
  type        = string
  default     = "c360"
}

variable "admin_username" {
  description = "Admin user; its password is managed by Secrets Manager."
  type        = string
  default     = "c360_admin"
}

variable "kms_key_arn" {
  description = "The CMK the warehouse is encrypted with."
  type        = string
}

variable "spectrum_role_arn" {
  description = "The role Redshift assumes for Spectrum (module iam)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the warehouse."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC (egress to its S3 endpoint)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (at least three for Serverless)."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 5439 (the pipeline's tasks)."
  type        = list(string)
}

variable "serverless_base_rpu" {
  description = "Serverless base capacity in RPUs."
  type        = number
  default     = 8
}

variable "node_type" {
  description = "Provisioned node type."
  type        = string
  default     = "ra3.large"
}

variable "number_of_nodes" {
  description = "Provisioned nodes."
  type        = number
  default     = 1
}
