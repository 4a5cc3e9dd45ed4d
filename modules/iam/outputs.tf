output "role_name" {
  description = "Name of the instance role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the instance role."
  value       = aws_iam_role.this.arn
}

output "instance_profile_name" {
  description = "Name of the instance profile wrapping the role."
  value       = aws_iam_instance_profile.this.name
}

output "instance_profile_arn" {
  description = "ARN of the instance profile."
  value       = aws_iam_instance_profile.this.arn
}

output "policy_json" {
  description = "The role's inline policy document (JSON)."
  value       = data.aws_iam_policy_document.this.json
}
