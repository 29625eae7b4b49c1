output "job_name" {
  description = "The compaction job (the state machine's compact step)."
  value       = aws_glue_job.compaction.name
}

output "job_arn" {
  description = "ARN of the compaction job."
  value       = aws_glue_job.compaction.arn
}

output "catalog_database_prefix" {
  description = "Prefix of the Glue catalog databases of the Spectrum external tables."
  value       = var.catalog_database_prefix
}
