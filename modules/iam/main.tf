# The web server's identity: a role that only EC2 can assume, an instance
# profile, and one inline least-privilege policy: its files bucket, the app's
# artifacts (read-only), its DB password parameter, its log group and metrics.
# No IAM user, no access key: the instance gets short-lived credentials from the
# metadata service.

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "Ec2AssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    sid    = "BucketList"
    effect = "Allow"
    actions = [
      "s3:GetBucketLocation",
      "s3:ListBucket",
      "s3:ListBucketVersions",
      "s3:ListBucketMultipartUploads",
    ]
    resources = [var.bucket_arn]
  }

  statement {
    sid    = "ObjectReadWrite"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${var.bucket_arn}/*"]
  }

  statement {
    sid       = "ReadAppArtifacts"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${var.artifact_bucket_arn}/${var.artifact_prefix}*"]
  }

  statement {
    sid       = "ReadDbPasswordParameter"
    effect    = "Allow"
    actions   = ["ssm:GetParameter"]
    resources = [var.db_password_parameter_arn]
  }

  dynamic "statement" {
    for_each = var.ssm_kms_key_arn == null ? [] : [var.ssm_kms_key_arn]

    content {
      sid       = "DecryptDbPasswordThroughSsm"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${data.aws_region.current.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid    = "WriteAppLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = [
      var.log_group_arn,
      "${var.log_group_arn}:*",
    ]
  }

  # PutMetricData has no resource-level permissions: "*" is the only valid
  # resource, so the namespace condition is what scopes it.
  statement {
    sid       = "PutMetricsInOwnNamespace"
    effect    = "Allow"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
  }
}

data "aws_region" "current" {}

resource "aws_iam_role" "this" {
  name                 = "${var.name_prefix}-instance"
  description          = "Web server of ${var.name_prefix}: its S3 bucket, its DB password parameter, its logs and metrics"
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  permissions_boundary = var.permissions_boundary_arn

  tags = merge(var.tags, { Name = "${var.name_prefix}-instance" })
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name_prefix}-instance"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_iam_instance_profile" "this" {
  name = "${var.name_prefix}-instance"
  role = aws_iam_role.this.name

  tags = merge(var.tags, { Name = "${var.name_prefix}-instance" })
}
