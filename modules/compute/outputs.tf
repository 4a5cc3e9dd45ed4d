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

output "app_url" {
  description = "URL of the app on the web server."
  value       = format("http://%s%s", coalesce(aws_instance.this.public_ip, aws_instance.this.public_dns, aws_instance.this.private_ip), var.app_port == 80 ? "" : ":${var.app_port}")
}

output "app_files" {
  description = "Paths (relative to app_source_dir) of the files shipped in user_data."
  value       = local.app_file_paths
}

output "user_data_size_bytes" {
  description = "Length of the gzip+base64 user_data string sent to EC2 (the decoded payload must stay within 16 KiB)."
  value       = length(local.user_data_base64)
}
