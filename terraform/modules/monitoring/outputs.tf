output "alert_topic_arn" {
  description = "The alerts' SNS topic (C360_ALERT_TOPIC_ARN)."
  value       = aws_sns_topic.alerts.arn
}

output "dashboard_name" {
  description = "The CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.c360.dashboard_name
}
