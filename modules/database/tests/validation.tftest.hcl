# Unit tests of modules/database with mocked AWS and random providers (no cloud, no
# credentials):  tofu init -backend=false && tofu test
# Driven by tests/unit/hcl/test_hcl_tofu.py. "Not public" and "encrypted" are checkov's
# (CKV_AWS_17, CKV_AWS_16): not asserted here.

mock_provider "aws" {}
mock_provider "random" {}

variables {
  name_prefix             = "filestore-test-unit"
  subnet_ids              = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_ids      = ["sg-0123456789abcdef0"]
  password_parameter_name = "/filestore/test/unit/db/password"
}

run "mysql_in_the_given_subnets" {
  command = plan

  assert {
    condition     = aws_db_instance.this.engine == "mysql"
    error_message = "The engine is MySQL."
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
    condition     = aws_db_instance.this.db_subnet_group_name == aws_db_subnet_group.this.name && aws_db_instance.this.vpc_security_group_ids == toset(var.security_group_ids)
    error_message = "The instance is in that subnet group, with the given security groups only."
  }

  assert {
    condition     = aws_ssm_parameter.this.type == "SecureString" && aws_ssm_parameter.this.name == "/filestore/test/unit/db/password"
    error_message = "The password goes to the named SecureString."
  }

  assert {
    condition     = aws_db_instance.this.deletion_protection && aws_db_instance.this.multi_az && !aws_db_instance.this.skip_final_snapshot
    error_message = "The module's defaults are the safe ones."
  }

  assert {
    condition     = startswith(aws_db_instance.this.final_snapshot_identifier, "filestore-test-unit-db-final-") && aws_db_instance.this.backup_retention_period == 7
    error_message = "A final snapshot is taken on destroy, and a week of backups kept."
  }

  assert {
    condition     = aws_db_instance.this.enabled_cloudwatch_logs_exports == toset(["error", "slowquery"]) && aws_cloudwatch_log_group.exports["error"].retention_in_days == 30
    error_message = "The error and slow-query logs go to log groups with a retention."
  }
}

run "only_tls_connections" {
  command = plan

  assert {
    condition     = aws_db_parameter_group.this.family == "mysql8.4" && aws_db_instance.this.parameter_group_name == aws_db_parameter_group.this.name
    error_message = "The instance uses the module's own parameter group, of the engine's family."
  }

  assert {
    condition     = [for p in aws_db_parameter_group.this.parameter : p.value if p.name == "require_secure_transport"] == ["1"]
    error_message = "require_secure_transport is ON (1): RDS refuses a login without TLS."
  }

  assert {
    condition     = aws_db_instance.this.ca_cert_identifier == "rds-ca-rsa2048-g1"
    error_message = "The server certificate comes from a current RDS CA (in the global bundle the app trusts), not the engine's default of the day."
  }
}

run "rejects_an_expired_rds_ca" {
  command = plan

  variables {
    ca_cert_identifier = "rds-ca-2019"
  }

  expect_failures = [var.ca_cert_identifier]
}

run "the_parameter_group_follows_the_engine_version" {
  command = plan

  variables {
    engine_version = "8.0.40"
  }

  assert {
    condition     = aws_db_parameter_group.this.family == "mysql8.0"
    error_message = "The family is the engine's major.minor."
  }
}

run "the_settings_reach_the_instance" {
  command = plan

  variables {
    multi_az                        = false
    deletion_protection             = false
    skip_final_snapshot             = true
    backup_retention_period         = 1
    apply_immediately               = true
    max_allocated_storage           = 100
    port                            = 33061
    enabled_cloudwatch_logs_exports = []
  }

  assert {
    condition     = !aws_db_instance.this.multi_az && !aws_db_instance.this.deletion_protection && aws_db_instance.this.backup_retention_period == 1 && aws_db_instance.this.apply_immediately
    error_message = "Multi-AZ, deletion protection, backups and apply_immediately follow the variables."
  }

  assert {
    condition     = aws_db_instance.this.skip_final_snapshot && aws_db_instance.this.final_snapshot_identifier == null
    error_message = "No final snapshot when it is skipped."
  }

  assert {
    condition     = aws_db_instance.this.max_allocated_storage == 100 && aws_db_instance.this.port == 33061
    error_message = "The storage ceiling and the port follow the variables."
  }

  assert {
    condition     = length(aws_db_instance.this.enabled_cloudwatch_logs_exports) == 0 && length(aws_cloudwatch_log_group.exports) == 0
    error_message = "No log exports, no log groups for them."
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
