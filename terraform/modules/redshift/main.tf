# The warehouse: Redshift Serverless (var.serverless, the default) or a provisioned
# cluster. Either way: in private subnets, not publicly accessible, encrypted with the
# CMK, SSL required, audit logs exported, enhanced VPC routing, and the IAM role Spectrum
# assumes to read the lake. The admin password is kept by Secrets Manager, never here.

resource "aws_security_group" "redshift" {
  name        = "${var.name}-redshift"
  description = "Redshift: port 5439 from the pipeline's tasks only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "dbt and the app, from the pipeline's tasks"
    from_port       = 5439
    to_port         = 5439
    protocol        = "tcp"
    security_groups = var.client_security_group_ids
  }

  egress {
    description = "Spectrum and COPY reach S3 through the VPC (enhanced VPC routing)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
}

# --- Serverless ------------------------------------------------------------------------

resource "aws_redshiftserverless_namespace" "this" {
  count                 = var.serverless ? 1 : 0
  namespace_name        = var.name
  db_name               = var.database
  admin_username        = var.admin_username
  manage_admin_password = true
  kms_key_id            = var.kms_key_arn
  iam_roles             = [var.spectrum_role_arn]
  default_iam_role_arn  = var.spectrum_role_arn
  log_exports           = ["userlog", "connectionlog", "useractivitylog"]
}

resource "aws_redshiftserverless_workgroup" "this" {
  count                = var.serverless ? 1 : 0
  namespace_name       = aws_redshiftserverless_namespace.this[0].namespace_name
  workgroup_name       = var.name
  base_capacity        = var.serverless_base_rpu
  publicly_accessible  = false
  enhanced_vpc_routing = true
  subnet_ids           = var.private_subnet_ids
  security_group_ids   = [aws_security_group.redshift.id]

  config_parameter {
    parameter_key   = "require_ssl"
    parameter_value = "true"
  }

  config_parameter {
    parameter_key   = "enable_user_activity_logging"
    parameter_value = "true"
  }
}

# --- provisioned -----------------------------------------------------------------------

resource "aws_redshift_subnet_group" "this" {
  count      = var.serverless ? 0 : 1
  name       = var.name
  subnet_ids = var.private_subnet_ids
}

resource "aws_redshift_parameter_group" "this" {
  count  = var.serverless ? 0 : 1
  name   = var.name
  family = "redshift-1.0"

  parameter {
    name  = "require_ssl"
    value = "true"
  }

  parameter {
    name  = "enable_user_activity_logging"
    value = "true"
  }
}

resource "aws_redshift_cluster" "this" {
  # checkov:skip=CKV_AWS_321:a provisioned cluster runs the engine version AWS maintains; version upgrades stay on
  count                                = var.serverless ? 0 : 1
  cluster_identifier                   = var.name
  database_name                        = var.database
  master_username                      = var.admin_username
  manage_master_password               = true
  node_type                            = var.node_type
  number_of_nodes                      = var.number_of_nodes
  cluster_type                         = var.number_of_nodes > 1 ? "multi-node" : "single-node"
  encrypted                            = true
  kms_key_id                           = var.kms_key_arn
  publicly_accessible                  = false
  enhanced_vpc_routing                 = true
  cluster_subnet_group_name            = aws_redshift_subnet_group.this[0].name
  cluster_parameter_group_name         = aws_redshift_parameter_group.this[0].name
  vpc_security_group_ids               = [aws_security_group.redshift.id]
  iam_roles                            = [var.spectrum_role_arn]
  default_iam_role_arn                 = var.spectrum_role_arn
  automated_snapshot_retention_period  = 7
  allow_version_upgrade                = true
  skip_final_snapshot                  = false
  final_snapshot_identifier            = "${var.name}-final"

  logging {
    enable               = true
    log_destination_type = "cloudwatch"
    log_exports          = ["connectionlog", "userlog", "useractivitylog"]
  }
}
