# Unit tests of modules/monitoring with a mocked AWS provider (no cloud, no credentials):
#   tofu init -backend=false && tofu test
# Driven by tests/unit/hcl/test_hcl_tofu.py.

mock_provider "aws" {}

variables {
  name_prefix = "filestore-test-unit"
  instance_id = "i-0123456789abcdef0"
}

run "retention_of_7_days_is_accepted" {
  command = plan

  variables {
    log_retention_days = 7
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 7
    error_message = "The log group keeps logs for the given number of days."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.cpu.metric_name == "CPUUtilization" && aws_cloudwatch_metric_alarm.cpu.dimensions["InstanceId"] == "i-0123456789abcdef0"
    error_message = "A CPU alarm watches the instance."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.cpu.period == 60
    error_message = "With detailed monitoring (the default), the CPU alarm evaluates 1-minute periods."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.status_check.metric_name == "StatusCheckFailed" && aws_cloudwatch_metric_alarm.status_check.dimensions["InstanceId"] == "i-0123456789abcdef0" && aws_cloudwatch_metric_alarm.status_check.threshold == 1
    error_message = "A status-check alarm watches the instance and fires on one failed check."
  }
}

run "basic_monitoring_means_5_minute_periods" {
  command = plan

  variables {
    detailed_monitoring = false
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.cpu.period == 300 && aws_cloudwatch_metric_alarm.status_check.period == 60
    error_message = "Basic monitoring has 5-minute CPU data points; status checks are 1-minute metrics either way."
  }
}

run "retention_of_8_days_is_rejected" {
  command = plan

  variables {
    log_retention_days = 8
  }

  expect_failures = [var.log_retention_days]
}

run "retention_of_0_days_is_rejected" {
  command = plan

  variables {
    log_retention_days = 0
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_a_cpu_threshold_above_100" {
  command = plan

  variables {
    cpu_threshold_percent = 150
  }

  expect_failures = [var.cpu_threshold_percent]
}
