# Unit tests of modules/release with a mocked AWS provider (no cloud, no credentials):
#   tofu init -backend=false && tofu test
# Run from modules/release: app_source_dir points at the repository's app/, so the
# real template is rendered (a variable it uses and the module does not pass fails
# the plan). Driven by tests/unit/hcl/test_hcl_tofu.py. Secrets in user_data are
# checkov's (CKV_AWS_46, CKV_FS_14, the secrets framework): not asserted here.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }
}

variables {
  name_prefix                = "filestore-test-unit"
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

run "the_app_and_a_user_data_that_installs_it" {
  command = plan

  assert {
    condition     = contains(output.app_files, "requirements.txt") && alltrue([for f in output.app_files : !startswith(f, "deploy/") && !startswith(f, "tests/")])
    error_message = "The app's files are shipped, without the deploy script and tests."
  }

  assert {
    condition     = toset(keys(aws_s3_object.app)) == toset(output.app_files) && aws_s3_object.app["requirements.txt"].key == "app/requirements.txt"
    error_message = "Each file is an object under artifact_prefix."
  }

  assert {
    condition     = output.user_data_size_bytes * 3 / 4 <= 16384
    error_message = "user_data fits EC2's 16 KiB."
  }

  assert {
    condition     = strcontains(output.user_data, "--bind 0.0.0.0:80 ") && strcontains(output.user_data, "if install_cloudwatch_agent; then")
    error_message = "gunicorn binds every interface on port 80, and the CloudWatch agent is installed."
  }

  assert {
    condition     = strcontains(output.user_data, "\nUser=filestore\n") && strcontains(output.user_data, "\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n") && strcontains(output.user_data, "curl -fsS -o /dev/null \"http://127.0.0.1/\"")
    error_message = "Port 80 without root: the service user gets CAP_NET_BIND_SERVICE and no other capability; the health check asks port 80."
  }

  assert {
    condition = output.app_environment == {
      FILESTORE_BUCKET            = "filestore-test-unit-files-123456789012"
      AWS_REGION                  = "us-east-1"
      AWS_DEFAULT_REGION          = "us-east-1"
      FILESTORE_DB_HOST           = "db.example.internal"
      FILESTORE_DB_PORT           = "3306"
      FILESTORE_DB_NAME           = "filestore"
      FILESTORE_DB_USER           = "filestore_admin"
      FILESTORE_DB_PASSWORD_PARAM = "/filestore/test/unit/db/password"
      FILESTORE_DB_CA_FILE        = "/etc/filestore/rds-ca-bundle.pem"
      FILESTORE_MAX_UPLOAD_BYTES  = "104857600"
    }
    error_message = "The app's environment is docs/CONTRACTS.md's: the password's parameter name, never the password."
  }
}

run "the_database_ca_bundle_is_aws_rds_bundle" {
  command = plan

  assert {
    condition     = strcontains(output.user_data, "-o '/etc/filestore/rds-ca-bundle.pem.new' 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem'") && strcontains(output.user_data, "retry 5 10 install_db_ca_bundle")
    error_message = "user_data installs AWS's RDS global bundle where FILESTORE_DB_CA_FILE points, before the app needs it."
  }
}

run "the_emulator_settings" {
  command = plan

  variables {
    install_cloudwatch_agent = false
    db_port                  = 33061
    db_ca_bundle_url         = "file:///etc/filestore-emulator/rds-ca-bundle.pem"
  }

  assert {
    condition     = strcontains(output.user_data, "'file:///etc/filestore-emulator/rds-ca-bundle.pem'") && output.app_environment["FILESTORE_DB_CA_FILE"] == "/etc/filestore/rds-ca-bundle.pem"
    error_message = "The emulator's CA comes from the file its data plane provides, to the same path."
  }

  assert {
    condition     = strcontains(output.user_data, "--bind 0.0.0.0:80 ") && !strcontains(output.user_data, "if install_cloudwatch_agent; then")
    error_message = "gunicorn binds every interface on port 80 there too (the instance has its own network); no CloudWatch agent."
  }

  assert {
    condition     = output.app_environment["FILESTORE_DB_PORT"] == "33061"
    error_message = "The app reaches the database on the given port."
  }
}

run "rejects_a_password_in_the_app_environment" {
  command = plan

  variables {
    extra_app_environment = { FILESTORE_DB_PASSWORD = "" }
  }

  expect_failures = [var.extra_app_environment]
}

run "rejects_a_plain_http_ca_bundle" {
  command = plan

  variables {
    db_ca_bundle_url = "http://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
  }

  expect_failures = [var.db_ca_bundle_url]
}
