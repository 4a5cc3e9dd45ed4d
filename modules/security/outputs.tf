output "web_security_group_id" {
  description = "ID of the web server's security group."
  value       = aws_security_group.web.id
}

output "web_security_group_arn" {
  description = "ARN of the web server's security group."
  value       = aws_security_group.web.arn
}

output "db_security_group_id" {
  description = "ID of the database's security group."
  value       = aws_security_group.db.id
}

output "db_security_group_arn" {
  description = "ARN of the database's security group."
  value       = aws_security_group.db.arn
}
