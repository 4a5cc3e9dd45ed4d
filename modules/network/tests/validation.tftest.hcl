# Unit tests of modules/network with a mocked AWS provider (no cloud, no credentials):
#   tofu init -backend=false && tofu test
# Driven by tests/unit/hcl/test_hcl_tofu.py.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-east-1a", "us-east-1b", "us-east-1c"]
    }
  }

  # The provider validates policy JSON even in a mocked plan: give the documents a valid one.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  # ARNs the provider checks at plan time (mocks are otherwise random strings)
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/filestore-test-unit/vpc-flow-logs"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/filestore-test-unit-vpc-flow-logs"
    }
  }
}

variables {
  name_prefix      = "filestore-test-unit"
  enable_flow_logs = false
}

run "defaults_make_a_16_with_one_public_and_two_private_subnets" {
  command = plan

  assert {
    condition     = aws_vpc.this.cidr_block == "10.0.0.0/16"
    error_message = "The VPC must be a /16 by default."
  }

  assert {
    condition     = aws_subnet.public.map_public_ip_on_launch == true && aws_subnet.public.availability_zone == "us-east-1a"
    error_message = "One public subnet, in the first availability zone."
  }

  assert {
    condition     = length(aws_subnet.private) == 2
    error_message = "Two private subnets."
  }

  assert {
    condition     = length(distinct(aws_subnet.private[*].availability_zone)) == 2
    error_message = "The private subnets must be in two different availability zones."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.private : s.map_public_ip_on_launch == false])
    error_message = "Private subnets must not map public IPs."
  }

  assert {
    condition     = aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "The public route table routes 0.0.0.0/0 to the Internet Gateway."
  }

  assert {
    condition     = length(aws_route_table.private) == 2
    error_message = "One route table per private subnet."
  }

  assert {
    condition     = aws_route.public_internet.route_table_id == aws_route_table.public.id && aws_route.public_internet.gateway_id == aws_internet_gateway.this.id
    error_message = "The default route is in the public table, to the Internet Gateway."
  }

  assert {
    condition     = aws_route_table_association.public.subnet_id == aws_subnet.public.id && aws_route_table_association.public.route_table_id == aws_route_table.public.id
    error_message = "The public subnet uses the public route table."
  }

  assert {
    condition     = [for a in aws_route_table_association.private : [a.subnet_id, a.route_table_id]] == [for i, s in aws_subnet.private : [s.id, aws_route_table.private[i].id]]
    error_message = "Each private subnet uses its own private route table (which has no route out)."
  }
}

run "explicit_zones_are_used" {
  command = plan

  variables {
    availability_zones = ["eu-west-1b", "eu-west-1c"]
  }

  assert {
    condition     = aws_subnet.private[*].availability_zone == ["eu-west-1b", "eu-west-1c"]
    error_message = "The private subnets go in the two given zones."
  }
}

run "flow_logs_on" {
  command = plan

  variables {
    enable_flow_logs = true
  }

  assert {
    condition     = length(aws_flow_log.this) == 1 && aws_cloudwatch_log_group.flow_logs[0].retention_in_days == 14
    error_message = "Flow logs go to a log group with a retention."
  }
}

run "rejects_an_invalid_cidr" {
  command = plan

  variables {
    cidr = "not-a-cidr"
  }

  expect_failures = [var.cidr]
}

run "rejects_a_non_canonical_cidr" {
  command = plan

  variables {
    cidr = "10.0.0.1/16"
  }

  expect_failures = [var.cidr]
}

run "rejects_a_too_small_vpc" {
  command = plan

  variables {
    cidr = "10.0.0.0/24"
  }

  expect_failures = [var.cidr]
}

run "rejects_the_same_zone_twice" {
  command = plan

  variables {
    availability_zones = ["us-east-1a", "us-east-1a"]
  }

  expect_failures = [var.availability_zones]
}
