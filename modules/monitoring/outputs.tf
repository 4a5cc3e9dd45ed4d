output "log_group_name" {
  description = "Name of the application's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the application's log group (without a trailing \":*\")."
  value       = aws_cloudwatch_log_group.this.arn
}

output "cpu_alarm_name" {
  description = "Name of the CPU alarm."
  value       = aws_cloudwatch_metric_alarm.cpu.alarm_name
}

output "cpu_alarm_arn" {
  description = "ARN of the CPU alarm."
  value       = aws_cloudwatch_metric_alarm.cpu.arn
}

output "status_check_alarm_name" {
  description = "Name of the status-check alarm."
  value       = aws_cloudwatch_metric_alarm.status_check.alarm_name
}

output "status_check_alarm_arn" {
  description = "ARN of the status-check alarm."
  value       = aws_cloudwatch_metric_alarm.status_check.arn
}
