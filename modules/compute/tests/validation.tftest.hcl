# Unit tests of modules/compute with a mocked AWS provider (no cloud, no credentials):
#   tofu init -backend=false && tofu test
# Run from modules/compute: app_source_dir points at the repository's app/.
# Driven by tests/unit/hcl/test_hcl_tofu.py.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }

  mock_data "aws_ami" {
    defaults = {
      id = "ami-0123456789abcdef0"
    }
  }
}

variables {
  name_prefix                = "filestore-test-unit"
  subnet_id                  = "subnet-0123456789abcdef0"
  security_group_ids         = ["sg-0123456789abcdef0"]
  instance_profile_name      = "filestore-test-unit-instance"
  app_source_dir             = "../../app"
  artifact_bucket_name       = "filestore-test-unit-artifacts-123456789012"
  bucket_name                = "filestore-test-unit-files-123456789012"
  db_address                 = "db.example.internal"
  db_name                    = "filestore"
  db_username                = "filestore_admin"
  db_password_parameter_name = "/filestore/test/unit/db/password"
  log_group_name             = "/filestore-test-unit/app"
  metrics_namespace          = "filestore/test"
}

run "imdsv2_encrypted_root_and_user_data" {
  command = plan

  assert {
    condition     = one(aws_instance.this.metadata_options).http_tokens == "required"
    error_message = "IMDSv2 is required."
  }

  assert {
    condition     = one(aws_instance.this.root_block_device).encrypted == true
    error_message = "The root volume is encrypted."
  }

  assert {
    condition     = aws_instance.this.instance_type == "t3.micro"
    error_message = "The default instance type is free-tier t3.micro."
  }

  assert {
    condition     = aws_instance.this.ami == "ami-0123456789abcdef0"
    error_message = "With no ami_id, the AMI comes from the Ubuntu lookup."
  }

  assert {
    condition     = length(aws_instance.this.user_data_base64) > 0 && output.user_data_size_bytes * 3 / 4 <= 16384
    error_message = "user_data is set and within EC2's 16 KiB."
  }

  assert {
    condition     = contains(output.app_files, "requirements.txt") && alltrue([for f in output.app_files : !startswith(f, "deploy/")])
    error_message = "The app's files are shipped, without the deploy script."
  }
}

run "pinned_ami" {
  command = plan

  variables {
    ami_id = "ami-0fedcba9876543210"
  }

  assert {
    condition     = aws_instance.this.ami == "ami-0fedcba9876543210"
    error_message = "A pinned AMI is used as given."
  }
}

run "rejects_an_rds_class" {
  command = plan

  variables {
    instance_type = "db.t3.micro"
  }

  expect_failures = [var.instance_type]
}

run "rejects_a_malformed_ami" {
  command = plan

  variables {
    ami_id = "ubuntu-24.04"
  }

  expect_failures = [var.ami_id]
}

run "rejects_a_tiny_root_volume" {
  command = plan

  variables {
    root_volume_size = 4
  }

  expect_failures = [var.root_volume_size]
}
