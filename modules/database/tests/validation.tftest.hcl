# Unit tests of modules/database with mocked AWS and random providers (no cloud, no
# credentials):  tofu init -backend=false && tofu test
# Driven by tests/unit/hcl/test_hcl_tofu.py.

mock_provider "aws" {}
mock_provider "random" {}

variables {
  name_prefix             = "filestore-test-unit"
  subnet_ids              = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_ids      = ["sg-0123456789abcdef0"]
  password_parameter_name = "/filestore/test/unit/db/password"
}

run "private_encrypted_mysql" {
  command = plan

  assert {
    condition     = aws_db_instance.this.engine == "mysql"
    error_message = "The engine is MySQL."
  }

  assert {
    condition     = aws_db_instance.this.publicly_accessible == false
    error_message = "The database is never publicly accessible."
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted == true
    error_message = "Storage is encrypted."
  }

  assert {
    condition     = aws_db_instance.this.instance_class == "db.t3.micro" && aws_db_instance.this.allocated_storage == 20
    error_message = "The defaults are free-tier sized."
  }

  assert {
    condition     = aws_db_subnet_group.this.subnet_ids == toset(["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"])
    error_message = "The subnet group spans the given (private) subnets."
  }

  assert {
    condition     = aws_ssm_parameter.this.type == "SecureString" && aws_ssm_parameter.this.name == "/filestore/test/unit/db/password"
    error_message = "The password goes to the named SecureString."
  }

  assert {
    condition     = aws_db_instance.this.deletion_protection && aws_db_instance.this.multi_az && !aws_db_instance.this.skip_final_snapshot
    error_message = "The module's defaults are the safe ones."
  }
}

run "password_is_generated_and_stored_in_ssm" {
  command = apply

  assert {
    condition     = aws_ssm_parameter.this.value == random_password.this.result && aws_db_instance.this.password == random_password.this.result
    error_message = "The generated password is the instance's and the parameter's."
  }

  assert {
    condition     = random_password.this.length >= 16 && random_password.this.special
    error_message = "The password is long and uses special characters."
  }
}

run "rejects_a_class_without_db_prefix" {
  command = plan

  variables {
    instance_class = "t3.micro"
  }

  expect_failures = [var.instance_class]
}

run "rejects_too_little_storage" {
  command = plan

  variables {
    allocated_storage = 10
  }

  expect_failures = [var.allocated_storage]
}

run "rejects_too_much_storage" {
  command = plan

  variables {
    allocated_storage = 70000
  }

  expect_failures = [var.allocated_storage]
}

run "rejects_a_single_subnet" {
  command = plan

  variables {
    subnet_ids = ["subnet-0123456789abcdef0"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_a_reserved_user_name" {
  command = plan

  variables {
    username = "admin"
  }

  expect_failures = [var.username]
}

run "rejects_a_relative_parameter_name" {
  command = plan

  variables {
    password_parameter_name = "db-password"
  }

  expect_failures = [var.password_parameter_name]
}
