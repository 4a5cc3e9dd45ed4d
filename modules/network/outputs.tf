output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_id" {
  description = "ID of the public subnet (the web server's)."
  value       = aws_subnet.public.id
}

output "public_subnet_cidr" {
  description = "CIDR block of the public subnet."
  value       = aws_subnet.public.cidr_block
}

output "private_subnet_ids" {
  description = "IDs of the two private subnets (the database's), one per availability zone."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidrs" {
  description = "CIDR blocks of the private subnets."
  value       = aws_subnet.private[*].cidr_block
}

output "availability_zones" {
  description = "Availability zones of the private subnets (the public subnet is in the first)."
  value       = local.private_azs
}

output "internet_gateway_id" {
  description = "ID of the Internet Gateway."
  value       = aws_internet_gateway.this.id
}

output "public_route_table_id" {
  description = "ID of the public route table (default route to the Internet Gateway)."
  value       = aws_route_table.public.id
}

output "private_route_table_ids" {
  description = "IDs of the private route tables (no route to the internet)."
  value       = aws_route_table.private[*].id
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group, stripped of all rules."
  value       = aws_default_security_group.this.id
}

output "flow_log_id" {
  description = "ID of the VPC flow log, or null when flow logs are disabled."
  value       = try(aws_flow_log.this[0].id, null)
}

output "flow_log_group_name" {
  description = "Name of the flow logs' CloudWatch log group, or null when flow logs are disabled."
  value       = try(aws_cloudwatch_log_group.flow_logs[0].name, null)
}
