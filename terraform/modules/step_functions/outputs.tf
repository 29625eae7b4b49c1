output "state_machine_arn" {
  description = "The pipeline's state machine."
  value       = aws_sfn_state_machine.pipeline.arn
}

output "state_machine_name" {
  description = "Name of the state machine (for its alarm)."
  value       = aws_sfn_state_machine.pipeline.name
}

output "steps_function_arn" {
  description = "The steps Lambda (the land step)."
  value       = aws_lambda_function.steps.arn
}

output "tasks_security_group_id" {
  description = "Security group of the pipeline's tasks (allowed into the warehouse)."
  value       = aws_security_group.tasks.id
}

output "ecs_cluster_arn" {
  description = "The Fargate cluster of the pipeline's tasks."
  value       = aws_ecs_cluster.pipeline.arn
}

output "task_definition_arn" {
  description = "The task definition running `c360 step NAME`."
  value       = aws_ecs_task_definition.step.arn
}

output "log_group_arn" {
  description = "The pipeline's task log group."
  value       = aws_cloudwatch_log_group.pipeline.arn
}
