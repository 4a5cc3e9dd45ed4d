# Unit tests of modules/stack, and of both environments that call it, with mocked AWS
# and random providers (no cloud, no credentials):
#   tofu init -backend=false && tofu test
# Run from modules/stack (the environments are reached as ../../environments/<name>).
# Driven by tests/unit/hcl/test_hcl_tofu.py. What each environment passes (free tier in
# dev, the safe settings in prod) is read from its main.tf by tests/unit/hcl.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-east-1a", "us-east-1b", "us-east-1c"]
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_ami" {
    defaults = {
      id = "ami-0123456789abcdef0"
    }
  }

  # The provider validates policy JSON even in a mocked plan: give the documents a valid one.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  # Mocks are known at plan time: give the values that the modules' input validations and
  # the provider's own checks look at a realistic form (otherwise they are random strings).
  mock_resource "aws_vpc" {
    defaults = {
      id = "vpc-0123456789abcdef0"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::filestore-mock-bucket"
    }
  }

  mock_resource "aws_ssm_parameter" {
    defaults = {
      arn = "arn:aws:ssm:us-east-1:123456789012:parameter/filestore/mock/db/password"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/filestore-mock-role"
    }
  }

  mock_resource "aws_instance" {
    defaults = {
      public_ip = "198.51.100.7"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/filestore-mock/app"
    }
  }
}

mock_provider "random" {}

variables {
  environment   = "test"
  run_id        = "ci-unit"
  operator_cidr = "203.0.113.7/32"
}

run "names_paths_and_url" {
  command = plan

  assert {
    condition     = output.name_prefix == "filestore-test-ci-unit" && output.db_password_parameter == "/filestore/test/ci-unit/db/password"
    error_message = "Names are <project>-<environment>-<run_id>; the password lives at /<project>/<environment>/<run_id>/db/password."
  }

  assert {
    condition     = output.app_url == "http://198.51.100.7" && output.db_port == 3306 && module.network.vpc_cidr == "10.0.0.0/16"
    error_message = "A /16 VPC; the app (port 80, every interface) is at the instance's public address, without a port."
  }

  assert {
    condition     = module.release.app_environment["FILESTORE_DB_PASSWORD_PARAM"] == output.db_password_parameter && module.release.app_environment["FILESTORE_BUCKET"] == output.bucket_name
    error_message = "The app gets the files bucket and the password parameter's name."
  }
}

run "an_instance_without_a_public_address_and_another_database_port" {
  command = plan

  variables {
    db_port = 33061
  }

  override_resource {
    target = module.compute.aws_instance.this
    values = {
      public_ip  = ""
      public_dns = ""
      private_ip = "10.0.1.10"
    }
  }

  assert {
    condition     = output.app_url == "http://10.0.1.10"
    error_message = "Without a public IP or DNS name, the app is at the instance's private IP, on port 80."
  }

  assert {
    condition     = output.db_port == 33061 && module.release.app_environment["FILESTORE_DB_PORT"] == "33061"
    error_message = "The database listens on the given port, and the app connects to it."
  }
}

run "dev_plans" {
  command = plan

  module {
    source = "../../environments/dev"
  }

  assert {
    condition     = output.name_prefix == "filestore-dev-ci-unit" && output.region == "us-east-1" && output.app_url == "http://198.51.100.7"
    error_message = "dev plans with its defaults and gives the contract's outputs."
  }
}

run "prod_plans" {
  command = plan

  module {
    source = "../../environments/prod"
  }

  assert {
    condition     = output.name_prefix == "filestore-prod-ci-unit" && output.db_password_parameter == "/filestore/prod/ci-unit/db/password"
    error_message = "prod plans with its defaults and gives the contract's outputs."
  }
}

run "rejects_an_uppercase_run_id" {
  command = plan

  variables {
    run_id = "CI-Unit"
  }

  expect_failures = [var.run_id]
}

run "rejects_a_run_id_with_underscores" {
  command = plan

  variables {
    run_id = "ci_unit"
  }

  expect_failures = [var.run_id]
}

run "rejects_a_run_id_of_21_characters" {
  command = plan

  variables {
    run_id = "abcdefghij0123456789x"
  }

  expect_failures = [var.run_id]
}

run "rejects_a_run_id_starting_with_a_hyphen" {
  command = plan

  variables {
    run_id = "-ci"
  }

  expect_failures = [var.run_id]
}

run "rejects_an_uppercase_project" {
  command = plan

  variables {
    project = "FileStore"
  }

  expect_failures = [var.project]
}

run "rejects_an_environment_with_a_hyphen" {
  command = plan

  variables {
    environment = "pre-prod"
  }

  expect_failures = [var.environment]
}
