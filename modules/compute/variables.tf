variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"filestore-dev-manual\"; the instance is \"<name_prefix>-web\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,47}$", var.name_prefix))
    error_message = "name_prefix must be 2-48 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "ami_id" {
  description = "AMI of the web server. null: the newest Ubuntu 24.04 LTS (amd64, gp3) published by Canonical (owner 099720109477). Pin it in production to avoid a replacement whenever Canonical publishes a new image."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must look like \"ami-0123456789abcdef0\", or be null."
  }
}

variable "instance_type" {
  description = "EC2 instance type (x86_64, matching the Ubuntu amd64 image), e.g. \"t3.micro\" (free tier)."
  type        = string
  default     = "t3.micro"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type)) && !startswith(var.instance_type, "db.")
    error_message = "instance_type must be an EC2 instance type such as \"t3.micro\"."
  }
}

variable "cpu_credits" {
  description = "Credit option of burstable (T-family) instances: \"standard\" never costs more than the hourly price, \"unlimited\" may. Ignored for other families."
  type        = string
  default     = "standard"
  nullable    = false

  validation {
    condition     = contains(["standard", "unlimited"], var.cpu_credits)
    error_message = "cpu_credits must be \"standard\" or \"unlimited\"."
  }
}

variable "subnet_id" {
  description = "ID of the public subnet the web server runs in."
  type        = string
}

variable "security_group_ids" {
  description = "Security groups of the web server."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1
    error_message = "security_group_ids must list at least one security group."
  }
}

variable "instance_profile_name" {
  description = "Instance profile (role) of the web server; the app gets its AWS credentials from it."
  type        = string
}

variable "key_name" {
  description = "EC2 key pair for SSH (the AWS target's database tunnel). null: no key pair."
  type        = string
  default     = null
}

variable "monitoring" {
  description = "Detailed (1-minute) CloudWatch monitoring of the instance; costs extra outside the free tier."
  type        = bool
  default     = true
  nullable    = false
}

variable "ebs_optimized" {
  description = "Launch as EBS-optimized. Current generations (t3, m5, ...) are EBS-optimized anyway; set false for types that do not support it (e.g. t2)."
  type        = bool
  default     = true
  nullable    = false
}

variable "root_volume_size" {
  description = "Size of the encrypted gp3 root volume, in GiB."
  type        = number
  default     = 16
  nullable    = false

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 16384 && floor(var.root_volume_size) == var.root_volume_size
    error_message = "root_volume_size must be a whole number of GiB between 8 and 16384."
  }
}

variable "root_volume_kms_key_arn" {
  description = "KMS key ARN encrypting the root volume. null: the account's default EBS key (the volume is encrypted either way)."
  type        = string
  default     = null
}

variable "user_data_base64" {
  description = "What the instance runs at first boot: user_data, base64-encoded (base64gzip() fits more; cloud-init takes gzip as it is). A change replaces the instance. null: none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module (merged with a Name tag)."
  type        = map(string)
  default     = {}
  nullable    = false
}
