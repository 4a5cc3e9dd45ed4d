# Unit tests of modules/compute with a mocked AWS provider (no cloud, no credentials):
#   tofu init -backend=false && tofu test
# Driven by tests/unit/hcl/test_hcl_tofu.py. IMDSv2 and the encrypted root volume are
# checkov's (CKV_AWS_79, CKV_AWS_8): not asserted here.

mock_provider "aws" {
  mock_data "aws_ami" {
    defaults = {
      id = "ami-0123456789abcdef0"
    }
  }
}

variables {
  name_prefix           = "filestore-test-unit"
  subnet_id             = "subnet-0123456789abcdef0"
  security_group_ids    = ["sg-0123456789abcdef0"]
  instance_profile_name = "filestore-test-unit-instance"
  user_data_base64      = "IyEvYmluL2Jhc2gK"
}

run "ubuntu_from_canonical_in_the_given_network" {
  command = plan

  assert {
    condition     = aws_instance.this.ami == "ami-0123456789abcdef0" && one(data.aws_ami.ubuntu[0].owners) == "099720109477"
    error_message = "With no ami_id, the AMI is the newest image owned by Canonical."
  }

  assert {
    condition     = [for f in data.aws_ami.ubuntu[0].filter : one(f.values) if f.name == "name"] == ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"]
    error_message = "The AMI is Ubuntu 24.04 LTS (noble) amd64."
  }

  assert {
    condition     = aws_instance.this.instance_type == "t3.micro" && one(aws_instance.this.credit_specification).cpu_credits == "standard"
    error_message = "The default is free-tier t3.micro, which never bills CPU credits."
  }

  assert {
    condition     = aws_instance.this.subnet_id == var.subnet_id && aws_instance.this.vpc_security_group_ids == toset(var.security_group_ids) && aws_instance.this.iam_instance_profile == var.instance_profile_name
    error_message = "The instance runs in the given subnet, groups and instance profile."
  }

  assert {
    condition     = aws_instance.this.user_data_base64 == var.user_data_base64 && aws_instance.this.user_data_replace_on_change
    error_message = "The given user_data is the instance's, and a new one replaces it."
  }

  assert {
    condition     = aws_instance.this.tags["Name"] == "filestore-test-unit-web"
    error_message = "The instance is named <name_prefix>-web."
  }
}

run "pinned_ami_and_a_non_burstable_type" {
  command = plan

  variables {
    ami_id        = "ami-0fedcba9876543210"
    instance_type = "m7i.large"
  }

  assert {
    condition     = aws_instance.this.ami == "ami-0fedcba9876543210" && length(data.aws_ami.ubuntu) == 0
    error_message = "A pinned AMI is used as given, without a lookup."
  }

  assert {
    condition     = length(aws_instance.this.credit_specification) == 0
    error_message = "CPU credits only apply to burstable types."
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

run "the_standalone_example_plans" {
  command = plan

  module {
    source = "./examples/standalone"
  }

  variables {
    subnet_id             = "subnet-0123456789abcdef0"
    security_group_ids    = ["sg-0123456789abcdef0"]
    instance_profile_name = "compute-example"
  }

  assert {
    condition     = startswith(output.url, "http://")
    error_message = "The example plans a server and gives its URL."
  }
}
