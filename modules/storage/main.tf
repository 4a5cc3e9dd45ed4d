# A private bucket: ACLs disabled (BucketOwnerEnforced), SSE-S3 (AES-256) by
# default, versioning on, every public-access block on, and TLS-only access.

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  suffix     = "-${var.purpose}-${local.account_id}"
  # S3 bucket names are global and at most 63 characters: name_prefix carries the
  # run id, the account id makes the name unique across accounts. Too long a
  # prefix is cut and completed with a hash of the whole of it.
  full_name  = "${var.name_prefix}${local.suffix}"
  short_name = "${substr(var.name_prefix, 0, 63 - length(local.suffix) - 9)}-${substr(sha1(var.name_prefix), 0, 8)}${local.suffix}"
  bucket_name = lower(coalesce(
    var.bucket_name,
    length(local.full_name) <= 63 ? local.full_name : local.short_name,
  ))
}

resource "aws_s3_bucket" "this" {
  bucket        = local.bucket_name
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = local.bucket_name, Purpose = var.purpose })

  lifecycle {
    precondition {
      condition     = length(local.bucket_name) >= 3 && length(local.bucket_name) <= 63
      error_message = "The bucket name \"${local.bucket_name}\" must be 3-63 characters long: shorten name_prefix or set bucket_name."
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "housekeeping"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }

    dynamic "noncurrent_version_expiration" {
      for_each = var.noncurrent_version_expiration_days == null ? [] : [var.noncurrent_version_expiration_days]

      content {
        noncurrent_days = noncurrent_version_expiration.value
      }
    }
  }

  # Lifecycle rules on a versioned bucket are only meaningful once versioning is on.
  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "this" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
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
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  # A bucket policy put while the public-access block is being written can fail.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
