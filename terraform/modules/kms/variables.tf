variable "name" {
  description = "Prefix of the key's alias (alias/<name>)."
  type        = string
}

variable "account_id" {
  description = "The account whose administrators manage the key."
  type        = string
}

variable "region" {
  description = "Region of the CloudWatch Logs service that encrypts log groups with the key."
  type        = string
}

variable "user_role_arns" {
  description = "The service roles allowed to encrypt and decrypt with the key."
  type        = list(string)
}
