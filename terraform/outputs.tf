output "lake_uri" {
  description = "The lake: C360_LAKE."
  value       = local.lake_uri
}

output "kms_key_arn" {
  description = "The CMK of the lake and the stream: C360_KMS_KEY_ID."
  value       = module.kms.key_arn
}

output "stream" {
  description = "The clickstream: C360_STREAM."
  value       = "kinesis://${module.kinesis.stream_name}"
}

output "redshift_host" {
  description = "The warehouse: C360_REDSHIFT_HOST."
  value       = module.redshift.endpoint
}

output "spectrum_role_arn" {
  description = "The role of `c360 spectrum --apply`: C360_SPECTRUM_IAM_ROLE."
  value       = module.iam.spectrum_role_arn
}

output "alert_topic_arn" {
  description = "The alerts: C360_ALERT_TOPIC_ARN."
  value       = module.monitoring.alert_topic_arn
}

output "state_machine_arn" {
  description = "The pipeline's state machine."
  value       = module.step_functions.state_machine_arn
}
