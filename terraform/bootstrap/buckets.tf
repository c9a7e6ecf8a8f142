# The two long-lived buckets: Terraform state and the CI Trivy reports. Both are private,
# versioned, encrypted with KMS (the AWS-managed aws/s3 key: no monthly key charge) and refuse
# plain HTTP. Plain resources rather than the registry s3-bucket module: the offline checks
# (checkov, tests/infra) can only see resources, not an un-downloaded module's insides.

locals {
  buckets = {
    state = {
      name = "${var.app}-tfstate-${var.account_id}"
      # Old state versions are the undo history; keep them for 90 days.
      noncurrent_days = 90
      expire_days     = null
    }
    trivy = {
      name            = "${var.app}-trivy-reports-${var.account_id}"
      noncurrent_days = 7
      expire_days     = var.trivy_report_retention_days
    }
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Access logs need a third bucket and cost more than the two small buckets; CloudTrail already records who touched the state.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles the storage for state that Terraform can rebuild from code and for reports CI can regenerate.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; notifications would have no subscriber.
  for_each = local.buckets

  bucket = each.value.name
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = local.buckets[each.key].noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }

    dynamic "expiration" {
      for_each = local.buckets[each.key].expire_days == null ? [] : [local.buckets[each.key].expire_days]
      content {
        days = expiration.value
      }
    }
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = aws_s3_bucket.this

  statement {
    sid     = "DenyPlainHttp"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
