# One customer-managed key for the lake, the stream, the logs and the warehouse, rotated
# yearly. The key policy lets the account's administrators manage it and only the
# service roles that read or write c360's data use it.

data "aws_iam_policy_document" "key" {
  # checkov:skip=CKV_AWS_109:a key policy's resource is always the key itself ("*" means this key)
  # checkov:skip=CKV_AWS_111:a key policy's resource is always the key itself ("*" means this key)
  # checkov:skip=CKV_AWS_356:a key policy's resource is always the key itself ("*" means this key)
  statement {
    sid       = "AccountAdministersTheKey"
    actions = [
      "kms:CreateAlias", "kms:CreateGrant", "kms:DescribeKey", "kms:EnableKey", "kms:EnableKeyRotation",
      "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListResourceTags", "kms:PutKeyPolicy",
      "kms:UpdateAlias", "kms:UpdateKeyDescription", "kms:RevokeGrant", "kms:DisableKey", "kms:DisableKeyRotation",
      "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:DeleteAlias", "kms:TagResource", "kms:UntagResource",
      "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    ]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${var.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = length(var.user_role_arns) > 0 ? [1] : []
    content {
      sid       = "ServiceRolesUseTheKey"
      actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = var.user_role_arns
      }
    }
  }

  statement {
    sid       = "CloudWatchLogsAndSnsUseTheKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com", "sns.amazonaws.com", "sqs.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: the lake, the clickstream and the warehouse"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
