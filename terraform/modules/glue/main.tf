# Compaction: a Glue job running loaders/compaction/glue_job.py, the same module as `c360
# compact` (the state machine's compact step runs it with --scope closed). Glue 5.0, for
# its Python 3.11 (Python shell jobs stop at 3.9); the script uses no Spark, so the job
# runs on the smallest worker count. The script and its package (build/glue/, from `make
# lambda-zip`: the loaders it imports and their libraries) are uploaded beside the lake.
# The catalog database holds the Spectrum external tables (`c360 spectrum`).

resource "aws_s3_object" "script" {
  bucket      = var.artifacts_bucket
  key         = "_deploy/glue/glue_compaction.py"
  source      = var.script_path
  source_hash = filemd5(var.script_path)
  kms_key_id  = var.kms_key_arn
}

resource "aws_s3_object" "package" {
  bucket      = var.artifacts_bucket
  key         = "_deploy/glue/c360-compaction.zip"
  source      = var.package_path
  source_hash = filemd5(var.package_path)
  kms_key_id  = var.kms_key_arn
}

resource "aws_glue_security_configuration" "this" {
  name = "${var.name}-glue"
  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }
    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

resource "aws_glue_job" "compaction" {
  name                   = "${var.name}-compaction"
  role_arn               = var.role_arn
  glue_version           = "5.0"
  worker_type            = "G.1X"
  number_of_workers      = 2
  timeout                = 60
  security_configuration = aws_glue_security_configuration.this.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${var.artifacts_bucket}/${aws_s3_object.script.key}"
  }

  default_arguments = {
    "--extra-py-files"                   = "s3://${var.artifacts_bucket}/${aws_s3_object.package.key}"
    "--lake"                             = var.lake_uri
    "--enable-continuous-cloudwatch-log" = "true"
  }
}

# The databases of `c360 spectrum`'s external schemas raw_shop and raw_web (loaders/warehouse/spectrum.py
# names them <prefix><schema>); made here so they exist, with their descriptions, before it runs.
resource "aws_glue_catalog_database" "raw" {
  for_each    = toset(["raw_shop", "raw_web"])
  name        = "${var.catalog_database_prefix}${each.key}"
  description = "The lake's ${each.key} tables, read by Redshift Spectrum (c360 spectrum)."
}
