output "app_url" {
  description = "URL of the app on the web server."
  value       = local.app_url
}

output "bucket_name" {
  description = "S3 bucket holding the uploaded files."
  value       = module.storage.bucket_name
}

output "artifact_bucket_name" {
  description = "S3 bucket holding the app's files that the web server installs at boot."
  value       = module.artifacts.bucket_name
}

output "db_endpoint" {
  description = "Database endpoint, \"host:port\"."
  value       = module.database.endpoint
}

output "db_address" {
  description = "Database host name."
  value       = module.database.address
}

output "db_port" {
  description = "Database TCP port."
  value       = module.database.port
}

output "db_name" {
  description = "Name of the app's database."
  value       = module.database.db_name
}

output "db_username" {
  description = "Database master user name."
  value       = module.database.username
}

output "db_password_parameter" {
  description = "Name of the SSM SecureString holding the database password (the name, never the password)."
  value       = module.database.password_parameter_name
}

output "instance_id" {
  description = "ID of the web server instance."
  value       = module.compute.instance_id
}

output "instance_public_ip" {
  description = "Public IPv4 address of the web server."
  value       = module.compute.public_ip
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "public_subnet_id" {
  description = "ID of the public subnet (web server)."
  value       = module.network.public_subnet_id
}

output "private_subnet_ids" {
  description = "IDs of the two private subnets (database)."
  value       = module.network.private_subnet_ids
}

output "web_security_group_id" {
  description = "ID of the web server's security group."
  value       = module.security.web_security_group_id
}

output "db_security_group_id" {
  description = "ID of the database's security group."
  value       = module.security.db_security_group_id
}

output "log_group_name" {
  description = "CloudWatch log group of the app."
  value       = module.monitoring.log_group_name
}

output "instance_role_name" {
  description = "Name of the web server's IAM role."
  value       = module.iam.role_name
}

output "name_prefix" {
  description = "Prefix of every resource name: \"<project>-<environment>-<run_id>\"."
  value       = local.name_prefix
}
