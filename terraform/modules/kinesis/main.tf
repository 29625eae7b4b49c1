# The clickstream: one stream, encrypted with the CMK, on-demand or provisioned shards.

resource "aws_kinesis_stream" "events" {
  name             = "${var.name}-events"
  retention_period = var.retention_hours
  encryption_type  = "KMS"
  kms_key_id       = var.kms_key_arn
  shard_count      = var.on_demand ? null : var.shard_count

  stream_mode_details {
    stream_mode = var.on_demand ? "ON_DEMAND" : "PROVISIONED"
  }
}
