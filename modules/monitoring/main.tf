# The application's CloudWatch log group (the instance's CloudWatch agent ships
# the app, bootstrap and system logs into it) and two alarms on the instance.

resource "aws_cloudwatch_log_group" "this" {
  name              = "/${var.name_prefix}/app"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = merge(var.tags, { Name = "/${var.name_prefix}/app" })
}

resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name          = "${var.name_prefix}-cpu-high"
  alarm_description   = "Average CPU of ${var.name_prefix}'s web server above ${var.cpu_threshold_percent}%"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  dimensions          = { InstanceId = var.instance_id }
  statistic           = "Average"
  period              = var.detailed_monitoring ? 60 : 300
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cpu_threshold_percent
  treat_missing_data  = "missing"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.ok_actions

  tags = merge(var.tags, { Name = "${var.name_prefix}-cpu-high" })
}

resource "aws_cloudwatch_metric_alarm" "status_check" {
  alarm_name          = "${var.name_prefix}-status-check-failed"
  alarm_description   = "${var.name_prefix}'s web server failed an instance or system status check"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed"
  dimensions          = { InstanceId = var.instance_id }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "missing"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.ok_actions

  tags = merge(var.tags, { Name = "${var.name_prefix}-status-check-failed" })
}
