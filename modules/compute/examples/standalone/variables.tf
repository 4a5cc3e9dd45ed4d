variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of the instance's name."
  type        = string
  default     = "compute-example"
}

variable "subnet_id" {
  description = "A public subnet (map_public_ip_on_launch) to run the server in."
  type        = string
}

variable "security_group_ids" {
  description = "Security groups of the server (HTTP in, HTTP/HTTPS out for the packages)."
  type        = list(string)
}

variable "instance_profile_name" {
  description = "Instance profile of the server."
  type        = string
}

variable "ami_id" {
  description = "AMI of the server. null: the newest Ubuntu 24.04 LTS amd64 image published by Canonical."
  type        = string
  default     = null
}
