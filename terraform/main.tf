# The production shape of c360 in one `terraform apply`. Every module is in modules/,
# with its variables and outputs; nothing account-specific is written here: it comes from
# an environment's *.tfvars (see dev.tfvars.example and prod.tfvars.example).

locals {
  name     = "c360-${var.environment}"
  lake_uri = "s3://${module.s3.bucket_name}/"
}

data "aws_caller_identity" "current" {}

module "kms" {
  source         = "./modules/kms"
  name           = local.name
  account_id     = data.aws_caller_identity.current.account_id
  region         = var.region
  user_role_arns = module.iam.data_role_arns
}

module "s3" {
  source          = "./modules/s3"
  name            = local.name
  kms_key_arn     = module.kms.key_arn
  noncurrent_days = var.lake_noncurrent_days
}

module "kinesis" {
  source      = "./modules/kinesis"
  name        = local.name
  kms_key_arn = module.kms.key_arn
  on_demand   = var.kinesis_on_demand
  shard_count = var.kinesis_shard_count
}

module "lambda" {
  source               = "./modules/lambda"
  name                 = local.name
  role_arn             = module.iam.consumer_role_arn
  package_path         = var.lambda_package_path
  stream_arn           = module.kinesis.stream_arn
  lake_uri             = local.lake_uri
  kms_key_arn          = module.kms.key_arn
  reserved_concurrency = var.consumer_reserved_concurrency
}

module "glue" {
  source           = "./modules/glue"
  name             = local.name
  role_arn         = module.iam.compaction_role_arn
  artifacts_bucket = module.s3.bucket_name
  script_path      = "${path.root}/../loaders/compaction/glue_job.py"
  package_path     = var.glue_package_path
  lake_uri         = local.lake_uri
  kms_key_arn      = module.kms.key_arn
}

module "redshift" {
  source                    = "./modules/redshift"
  name                      = local.name
  serverless                = var.redshift_serverless
  kms_key_arn               = module.kms.key_arn
  spectrum_role_arn         = module.iam.spectrum_role_arn
  vpc_id                    = var.vpc_id
  vpc_cidr                  = var.vpc_cidr
  private_subnet_ids        = var.private_subnet_ids
  client_security_group_ids = [module.step_functions.tasks_security_group_id]
  node_type                 = var.redshift_node_type
  number_of_nodes           = var.redshift_number_of_nodes
}

module "step_functions" {
  source                       = "./modules/step_functions"
  name                         = local.name
  region                       = var.region
  image                        = var.image
  lake_uri                     = local.lake_uri
  kms_key_arn                  = module.kms.key_arn
  glue_job_name                = module.glue.job_name
  alert_topic_arn              = module.monitoring.alert_topic_arn
  redshift_host                = module.redshift.endpoint
  redshift_database            = module.redshift.database
  redshift_password_secret_arn = var.redshift_password_secret_arn
  pii_salt_secret_arn          = var.pii_salt_secret_arn
  vpc_id                       = var.vpc_id
  vpc_cidr                     = var.vpc_cidr
  private_subnet_ids           = var.private_subnet_ids
  pipeline_role_arn            = module.iam.pipeline_role_arn
  task_execution_role_arn      = module.iam.task_execution_role_arn
  state_machine_role_arn       = module.iam.state_machine_role_arn
  scheduler_role_arn           = module.iam.scheduler_role_arn
}

module "monitoring" {
  source                  = "./modules/monitoring"
  name                    = local.name
  region                  = var.region
  kms_key_arn             = module.kms.key_arn
  alert_email             = var.alert_email
  stream_name             = module.kinesis.stream_name
  consumer_function_name  = module.lambda.function_name
  on_failure_queue_name   = module.lambda.on_failure_queue_name
  state_machine_arn       = module.step_functions.state_machine_arn
  glue_job_name           = module.glue.job_name
  redshift_serverless     = var.redshift_serverless
  redshift_identifier     = module.redshift.cluster_identifier
  redshift_namespace_name = local.name
}

module "iam" {
  source               = "./modules/iam"
  name                 = local.name
  region               = var.region
  account_id           = data.aws_caller_identity.current.account_id
  lake_bucket_arn      = module.s3.bucket_arn
  kms_key_arn          = module.kms.key_arn
  stream_arn           = module.kinesis.stream_arn
  on_failure_queue_arn = module.lambda.on_failure_queue_arn
  alert_topic_arn      = module.monitoring.alert_topic_arn
  state_machine_arn    = module.step_functions.state_machine_arn
  steps_function_arn   = module.step_functions.steps_function_arn
  glue_job_arn         = module.glue.job_arn
  catalog_database_prefix = module.glue.catalog_database_prefix
  image_repository_arn = var.image_repository_arn
  secret_arns          = [var.redshift_password_secret_arn, var.pii_salt_secret_arn]
}
