variable "name" {
  description = "Prefix of the job's and configuration's names."
  type        = string
}

variable "role_arn" {
  description = "The compaction job's role (module iam)."
  type        = string
}

variable "artifacts_bucket" {
  description = "Bucket the script and package are uploaded to (the lake's, under _deploy/)."
  type        = string
}

variable "script_path" {
  description = "loaders/compaction/glue_job.py in this repository."
  type        = string
}

variable "package_path" {
  description = "build/glue/c360-compaction.zip, from `make lambda-zip`."
  type        = string
}

variable "lake_uri" {
  description = "s3://bucket/ of the lake (--lake)."
  type        = string
}

variable "catalog_database_prefix" {
  description = "Prefix of the Glue databases c360 spectrum uses (its database_prefix)."
  type        = string
  default     = "c360_"
}

variable "kms_key_arn" {
  description = "The CMK of the job's logs, bookmarks and outputs."
  type        = string
}
