# Unit tests of modules/iam with a mocked AWS provider (no cloud, no credentials):
#   tofu init -backend=false && tofu test
# Driven by tests/unit/hcl/test_hcl_tofu.py. Wildcard actions and "*" resources are
# checkov's (CKV_AWS_49/63/355/356, CKV_FS_15/16); here, the exact statements.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }

  # The provider validates policy JSON even in a mocked plan: give the documents a valid one.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name_prefix               = "filestore-test-unit"
  bucket_arn                = "arn:aws:s3:::filestore-test-unit-files-123456789012"
  artifact_bucket_arn       = "arn:aws:s3:::filestore-test-unit-artifacts-123456789012"
  db_password_parameter_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/filestore/test/unit/db/password"
  log_group_arn             = "arn:aws:logs:us-east-1:123456789012:log-group:/filestore-test-unit/app"
  metrics_namespace         = "filestore/test"
}

run "role_and_profile" {
  command = plan

  assert {
    condition     = aws_iam_role.this.name == "filestore-test-unit-instance" && aws_iam_instance_profile.this.name == "filestore-test-unit-instance"
    error_message = "The role and its instance profile are named after the prefix."
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.assume_role.statement : [s.actions, s.principals]]) == jsonencode([[["sts:AssumeRole"], [{ type = "Service", identifiers = ["ec2.amazonaws.com"] }]]])
    error_message = "Only EC2 assumes the role."
  }

  assert {
    condition = jsonencode({ for s in data.aws_iam_policy_document.this.statement : s.sid => sort(s.resources) }) == jsonencode({
      BucketList               = [var.bucket_arn]
      ObjectReadWrite          = ["${var.bucket_arn}/*"]
      ReadAppArtifacts         = ["${var.artifact_bucket_arn}/app/*"]
      ReadDbPasswordParameter  = [var.db_password_parameter_arn]
      WriteAppLogs             = [var.log_group_arn, "${var.log_group_arn}:*"]
      PutMetricsInOwnNamespace = ["*"]
    })
    error_message = "The role reaches its bucket and its objects, the app's artifacts, its password parameter, its log group, and metrics (no resource-level permission exists for them)."
  }

  assert {
    condition = jsonencode({ for s in data.aws_iam_policy_document.this.statement : s.sid => sort(s.actions) if s.sid != "ObjectReadWrite" && s.sid != "BucketList" }) == jsonencode({
      ReadAppArtifacts         = ["s3:GetObject"]
      ReadDbPasswordParameter  = ["ssm:GetParameter"]
      WriteAppLogs             = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
      PutMetricsInOwnNamespace = ["cloudwatch:PutMetricData"]
    })
    error_message = "Read-only artifacts and parameter, write-only logs and metrics."
  }

  assert {
    condition = jsonencode({ for s in data.aws_iam_policy_document.this.statement : s.sid => sort(s.actions) if s.sid == "ObjectReadWrite" || s.sid == "BucketList" }) == jsonencode({
      BucketList      = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions"]
      ObjectReadWrite = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectVersion", "s3:ListMultipartUploadParts", "s3:PutObject"]
    })
    error_message = "The app's objects: read, write, and delete a version (the upload's rollback deletes the exact version it wrote: DeleteObject with a VersionId needs s3:DeleteObjectVersion), on the bucket's objects only."
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.this.statement : s.sid if contains(s.actions, "s3:DeleteObjectVersion") || contains(s.actions, "s3:DeleteObject")]) == 1
    error_message = "Deleting objects or versions is granted by ObjectReadWrite alone (the files bucket's objects), never on the artifacts."
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.this.statement : s.condition if s.sid == "PutMetricsInOwnNamespace"]) == jsonencode([[{ test = "StringEquals", variable = "cloudwatch:namespace", values = ["filestore/test"] }]])
    error_message = "Metrics go to the stack's own namespace only."
  }
}

run "rejects_a_wildcard_bucket" {
  command = plan

  variables {
    bucket_arn = "arn:aws:s3:::*"
  }

  expect_failures = [var.bucket_arn]
}

run "rejects_an_object_arn_as_bucket" {
  command = plan

  variables {
    bucket_arn = "arn:aws:s3:::filestore-test-unit-files-123456789012/*"
  }

  expect_failures = [var.bucket_arn]
}

run "rejects_a_wildcard_parameter" {
  command = plan

  variables {
    db_password_parameter_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/*"
  }

  expect_failures = [var.db_password_parameter_arn]
}

run "rejects_a_log_group_wildcard" {
  command = plan

  variables {
    log_group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/filestore-test-unit/app:*"
  }

  expect_failures = [var.log_group_arn]
}

run "rejects_an_aws_namespace" {
  command = plan

  variables {
    metrics_namespace = "AWS/EC2"
  }

  expect_failures = [var.metrics_namespace]
}
