# The outputs of every environment (docs/CONTRACTS.md); prod links to this file.

output "app_url" {
  description = "URL of the app on the web server."
  value       = module.stack.app_url
}

output "bucket_name" {
  description = "S3 bucket holding the uploaded files."
  value       = module.stack.bucket_name
}

output "db_endpoint" {
  description = "Database endpoint, \"host:port\"."
  value       = module.stack.db_endpoint
}

output "db_address" {
  description = "Database host name."
  value       = module.stack.db_address
}

output "db_port" {
  description = "Database TCP port."
  value       = module.stack.db_port
}

output "db_name" {
  description = "Name of the app's database."
  value       = module.stack.db_name
}

output "db_username" {
  description = "Database master user name."
  value       = module.stack.db_username
}

output "db_password_parameter" {
  description = "Name of the SSM SecureString holding the database password (the name, never the password)."
  value       = module.stack.db_password_parameter
}

output "instance_id" {
  description = "ID of the web server instance."
  value       = module.stack.instance_id
}

output "instance_public_ip" {
  description = "Public IPv4 address of the web server."
  value       = module.stack.instance_public_ip
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.stack.vpc_id
}

output "public_subnet_id" {
  description = "ID of the public subnet (web server)."
  value       = module.stack.public_subnet_id
}

output "private_subnet_ids" {
  description = "IDs of the two private subnets (database)."
  value       = module.stack.private_subnet_ids
}

output "web_security_group_id" {
  description = "ID of the web server's security group."
  value       = module.stack.web_security_group_id
}

output "db_security_group_id" {
  description = "ID of the database's security group."
  value       = module.stack.db_security_group_id
}

output "log_group_name" {
  description = "CloudWatch log group of the app."
  value       = module.stack.log_group_name
}

output "instance_role_name" {
  description = "Name of the web server's IAM role."
  value       = module.stack.instance_role_name
}

output "region" {
  description = "AWS region of the stack."
  value       = var.region
}

output "name_prefix" {
  description = "Prefix of every resource name: \"<project>-<environment>-<run_id>\"."
  value       = module.stack.name_prefix
}
