output "instance_id" {
  description = "ID of the web server instance."
  value       = aws_instance.this.id
}

output "instance_arn" {
  description = "ARN of the web server instance."
  value       = aws_instance.this.arn
}

output "ami_id" {
  description = "AMI the web server was launched from."
  value       = aws_instance.this.ami
}

output "availability_zone" {
  description = "Availability zone of the web server."
  value       = aws_instance.this.availability_zone
}

output "public_ip" {
  description = "Public IPv4 address of the web server (changes when the instance is stopped and started)."
  value       = aws_instance.this.public_ip
}

output "public_dns" {
  description = "Public DNS name of the web server."
  value       = aws_instance.this.public_dns
}

output "private_ip" {
  description = "Private IPv4 address of the web server."
  value       = aws_instance.this.private_ip
}
