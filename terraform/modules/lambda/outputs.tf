output "function_name" {
  description = "The consumer function."
  value       = aws_lambda_function.consumer.function_name
}

output "function_arn" {
  description = "ARN of the consumer function."
  value       = aws_lambda_function.consumer.arn
}

output "on_failure_queue_name" {
  description = "The queue of records the consumer gave up on."
  value       = aws_sqs_queue.on_failure.name
}

output "on_failure_queue_arn" {
  description = "ARN of the on-failure queue."
  value       = aws_sqs_queue.on_failure.arn
}
