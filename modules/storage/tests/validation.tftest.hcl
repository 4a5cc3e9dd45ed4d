# Unit tests of modules/storage with a mocked AWS provider (no cloud, no credentials):
#   tofu init -backend=false && tofu test
# Driven by tests/unit/hcl/test_hcl_tofu.py. ACLs off, versioning, the public-access
# block and the TLS-only policy are checkov's (CKV2_AWS_65, CKV_AWS_21, CKV2_AWS_6 and
# CKV_AWS_53-56, CKV_FS_1-6): not asserted here; the seed's AES-256 is a value.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}

variables {
  name_prefix = "filestore-test-unit"
}

run "named_kept_and_aes256" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this.bucket == "filestore-test-unit-files-123456789012"
    error_message = "The bucket is named <name_prefix>-<purpose>-<account id>."
  }

  assert {
    condition     = aws_s3_bucket.this.force_destroy == false
    error_message = "force_destroy is off by default."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "AES256"
    error_message = "Default encryption is SSE-S3 (AES256)."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : one(r.noncurrent_version_expiration).noncurrent_days]) == 90
    error_message = "Non-current versions expire after 90 days by default."
  }
}

run "a_long_prefix_is_shortened_to_63_characters" {
  command = plan

  variables {
    name_prefix = "filestore-integration-0123456789-abcdefghij-xyz"
    purpose     = "artifacts"
  }

  assert {
    condition     = length(aws_s3_bucket.this.bucket) <= 63 && endswith(aws_s3_bucket.this.bucket, "-artifacts-123456789012")
    error_message = "Bucket names stay within 63 characters and keep their suffix."
  }
}

run "rejects_an_uppercase_purpose" {
  command = plan

  variables {
    purpose = "Files"
  }

  expect_failures = [var.purpose]
}

run "rejects_an_invalid_bucket_name" {
  command = plan

  variables {
    bucket_name = "My_Bucket"
  }

  expect_failures = [var.bucket_name]
}

run "rejects_zero_days" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}
