output "endpoint" {
  description = "Host of the warehouse (C360_REDSHIFT_HOST)."
  value       = var.serverless ? aws_redshiftserverless_workgroup.this[0].endpoint[0].address : aws_redshift_cluster.this[0].dns_name
}

output "database" {
  description = "The database dbt builds into."
  value       = var.database
}

output "security_group_id" {
  description = "The warehouse's security group."
  value       = aws_security_group.redshift.id
}

output "cluster_identifier" {
  description = "The provisioned cluster (for its CloudWatch alarms), or the workgroup."
  value       = var.serverless ? aws_redshiftserverless_workgroup.this[0].workgroup_name : aws_redshift_cluster.this[0].cluster_identifier
}
