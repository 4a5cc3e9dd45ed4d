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

variable "app_source_dir" {
  description = "Directory of the Flask app (the repository's app/). Every file in it except deploy/, tests, caches, hidden files and *.md is uploaded to the artifact bucket and installed by user_data, which is rendered from deploy/user_data.sh.tftpl."
  type        = string
  nullable    = false
}

variable "artifact_bucket_name" {
  description = "Private S3 bucket receiving the app's files (the instance downloads them at boot and checks them against SHA-256 sums carried in user_data)."
  type        = string
}

variable "artifact_prefix" {
  description = "Key prefix of the app's files in the artifact bucket; ends with \"/\"."
  type        = string
  default     = "app/"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$", var.artifact_prefix))
    error_message = "artifact_prefix must be a key prefix such as \"app/\" (letters, digits, _ . -, ending with \"/\")."
  }
}

variable "bucket_name" {
  description = "S3 bucket of the app (FILESTORE_BUCKET)."
  type        = string
}

variable "db_address" {
  description = "Host name of the database (FILESTORE_DB_HOST)."
  type        = string
}

variable "db_port" {
  description = "TCP port of the database (FILESTORE_DB_PORT)."
  type        = number
  default     = 3306
}

variable "db_name" {
  description = "Database name (FILESTORE_DB_NAME)."
  type        = string
}

variable "db_username" {
  description = "Database user (FILESTORE_DB_USER)."
  type        = string
}

variable "db_password_parameter_name" {
  description = "Name of the SSM SecureString holding the database password (FILESTORE_DB_PASSWORD_PARAM). The name only: the password never enters user_data."
  type        = string
}

variable "max_upload_bytes" {
  description = "Largest accepted upload in bytes (FILESTORE_MAX_UPLOAD_BYTES); larger ones get HTTP 413."
  type        = number
  default     = 104857600
  nullable    = false

  validation {
    condition     = var.max_upload_bytes >= 1 && floor(var.max_upload_bytes) == var.max_upload_bytes
    error_message = "max_upload_bytes must be a positive whole number."
  }
}

variable "extra_app_environment" {
  description = "More environment variables for the app (names in upper case). They must not carry secrets: user_data is readable by anyone who can describe the instance."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.extra_app_environment : can(regex("^[A-Z_][A-Z0-9_]*$", k)) && can(regex("^[^\"\\\\$`\\n]*$", v))])
    error_message = "extra_app_environment names must be upper-case identifiers and values must not contain quotes, backslashes, $, backticks or newlines."
  }

  validation {
    condition     = !contains(keys(var.extra_app_environment), "FILESTORE_DB_PASSWORD")
    error_message = "The database password must not be put in user_data: the app reads it from SSM (FILESTORE_DB_PASSWORD_PARAM)."
  }
}

variable "app_port" {
  description = "TCP port gunicorn listens on."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be an integer between 1 and 65535."
  }
}

variable "gunicorn_workers" {
  description = "Number of gunicorn worker processes. null: the app's gunicorn.conf.py decides (or gunicorn's default without one)."
  type        = number
  default     = null

  validation {
    condition     = var.gunicorn_workers == null || try(var.gunicorn_workers >= 1 && var.gunicorn_workers <= 32 && floor(var.gunicorn_workers) == var.gunicorn_workers, false)
    error_message = "gunicorn_workers must be a whole number between 1 and 32, or null."
  }
}

variable "log_group_name" {
  description = "CloudWatch log group the CloudWatch agent ships the app, bootstrap and system logs to."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the agent's memory and disk metrics (must match the IAM policy's condition)."
  type        = string
  nullable    = false
}

variable "install_cloudwatch_agent" {
  description = "Install and configure the CloudWatch agent on the instance."
  type        = bool
  default     = true
  nullable    = false
}

variable "cloudwatch_agent_package_url" {
  description = "Where the instance downloads the CloudWatch agent's Debian package from."
  type        = string
  default     = "https://s3.amazonaws.com/amazoncloudwatch-agent/ubuntu/amd64/latest/amazon-cloudwatch-agent.deb"
  nullable    = false

  validation {
    condition     = startswith(var.cloudwatch_agent_package_url, "https://")
    error_message = "cloudwatch_agent_package_url must be an https:// URL."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (merged with a Name tag)."
  type        = map(string)
  default     = {}
  nullable    = false
}
