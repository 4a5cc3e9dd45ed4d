# Unit tests of an environment (dev or prod) with mocked AWS and random providers (no
# cloud, no credentials). tests/unit/hcl/test_hcl_tofu.py copies modules/, app/ and one
# environment into a temporary directory, puts this file in <environment>/tests/ and runs
#   tofu init -backend=false && tofu test

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

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/filestore-mock/app"
    }
  }
}

mock_provider "random" {}

variables {
  run_id        = "ci-unit"
  operator_cidr = "203.0.113.7/32"
}

run "plans_with_the_defaults" {
  command = plan

  assert {
    condition     = startswith(output.name_prefix, "filestore-") && endswith(output.name_prefix, "-ci-unit")
    error_message = "name_prefix is <project>-<environment>-<run_id>."
  }

  assert {
    condition     = output.region == "us-east-1"
    error_message = "The default region is us-east-1."
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

run "refuses_ssh_from_the_whole_internet" {
  command = plan

  variables {
    operator_cidr = "0.0.0.0/0"
  }

  expect_failures = [var.operator_cidr]
}

run "refuses_an_operator_cidr_that_is_not_one" {
  command = plan

  variables {
    operator_cidr = "not-a-cidr"
  }

  expect_failures = [var.operator_cidr]
}
