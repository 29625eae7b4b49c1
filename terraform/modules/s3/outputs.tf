output "bucket_name" {
  description = "The lake's bucket."
  value       = aws_s3_bucket.lake.bucket
}

output "bucket_arn" {
  description = "ARN of the lake's bucket."
  value       = aws_s3_bucket.lake.arn
}

output "logs_bucket_name" {
  description = "The bucket of the lake's access logs."
  value       = aws_s3_bucket.logs.bucket
}
