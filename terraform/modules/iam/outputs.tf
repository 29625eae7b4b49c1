output "consumer_role_arn" {
  description = "The Kinesis consumer's role."
  value       = aws_iam_role.this["consumer"].arn
}

output "compaction_role_arn" {
  description = "The compaction job's role."
  value       = aws_iam_role.this["compaction"].arn
}

output "pipeline_role_arn" {
  description = "The pipeline tasks' and steps Lambda's role."
  value       = aws_iam_role.this["pipeline"].arn
}

output "task_execution_role_arn" {
  description = "The ECS execution role."
  value       = aws_iam_role.this["task_execution"].arn
}

output "state_machine_role_arn" {
  description = "The state machine's role."
  value       = aws_iam_role.this["state_machine"].arn
}

output "scheduler_role_arn" {
  description = "EventBridge Scheduler's role."
  value       = aws_iam_role.this["scheduler"].arn
}

output "spectrum_role_arn" {
  description = "The role Redshift assumes for Spectrum (C360_SPECTRUM_IAM_ROLE)."
  value       = aws_iam_role.this["spectrum"].arn
}

output "data_role_arns" {
  description = "The roles that read or write c360's data: the CMK's users."
  value       = [aws_iam_role.this["consumer"].arn, aws_iam_role.this["compaction"].arn, aws_iam_role.this["pipeline"].arn, aws_iam_role.this["task_execution"].arn, aws_iam_role.this["state_machine"].arn, aws_iam_role.this["spectrum"].arn]
}
