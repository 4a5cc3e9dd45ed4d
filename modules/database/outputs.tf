output "db_instance_identifier" {
  description = "Identifier of the RDS instance."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "ARN of the RDS instance."
  value       = aws_db_instance.this.arn
}

output "db_instance_resource_id" {
  description = "Resource ID of the RDS instance (used in IAM database authentication policies)."
  value       = aws_db_instance.this.resource_id
}

output "address" {
  description = "Host name of the RDS instance."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "TCP port of the RDS instance."
  value       = aws_db_instance.this.port
}

output "endpoint" {
  description = "Connection endpoint of the RDS instance, \"host:port\"."
  value       = aws_db_instance.this.endpoint
}

output "db_name" {
  description = "Name of the database created in the instance."
  value       = aws_db_instance.this.db_name
}

output "username" {
  description = "Master user name."
  value       = aws_db_instance.this.username
}

output "password_parameter_name" {
  description = "Name of the SSM SecureString holding the master password (the name, never the password)."
  value       = aws_ssm_parameter.this.name
}

output "password_parameter_arn" {
  description = "ARN of the SSM SecureString holding the master password."
  value       = aws_ssm_parameter.this.arn
}

output "subnet_group_name" {
  description = "Name of the DB subnet group."
  value       = aws_db_subnet_group.this.name
}

output "log_group_names" {
  description = "Names of the CloudWatch log groups receiving the exported database logs."
  value       = [for g in aws_cloudwatch_log_group.exports : g.name]
}
