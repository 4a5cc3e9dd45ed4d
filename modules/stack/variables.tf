# ------------------------------------------------------------------ identity

variable "environment" {
  description = "Name of the environment, e.g. \"dev\" or \"prod\": second part of every resource name and of the SSM and metrics paths."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "project" {
  description = "Project name: first part of every resource name."
  type        = string
  default     = "filestore"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "run_id" {
  description = "Identifier of this deployment: last part of every resource name, so that parallel stacks never collide and leftovers can be found."
  type        = string
  default     = "manual"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,19}$", var.run_id))
    error_message = "run_id must be 1-20 characters of lowercase letters, digits and hyphens, starting with a letter or digit."
  }
}

variable "tags" {
  description = "Tags added to every resource of the stack (merged with a Name tag). The environments set their common tags through the provider's default_tags instead."
  type        = map(string)
  default     = {}
  nullable    = false
}

# ---------------------------------------------------------------- network

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
  nullable    = false
}

variable "availability_zones" {
  description = "Availability zones to use (at least two). null: the first two available in the region."
  type        = list(string)
  default     = null
}

variable "enable_flow_logs" {
  description = "Send the VPC's rejected-traffic flow logs to CloudWatch Logs."
  type        = bool
  default     = true
  nullable    = false
}

variable "operator_cidr" {
  description = "The only source allowed to SSH to the web server, e.g. \"203.0.113.10/32\" (modules/security refuses a /0)."
  type        = string
  nullable    = false
}

# ------------------------------------------------------------- web server

variable "ami_id" {
  description = "AMI of the web server. null: the newest Ubuntu 24.04 LTS amd64 image published by Canonical."
  type        = string
  default     = null
}

variable "instance_type" {
  description = "EC2 instance type of the web server."
  type        = string
  default     = "t3.micro"
  nullable    = false
}

variable "detailed_monitoring" {
  description = "Detailed (1-minute) CloudWatch monitoring of the web server (not free); the CPU alarm follows its period."
  type        = bool
  default     = true
  nullable    = false
}

variable "ssh_key_name" {
  description = "EC2 key pair for SSH to the web server. null: no key pair."
  type        = string
  default     = null
}

variable "app_source_dir" {
  description = "Directory of the Flask app. null: the repository's app/ next to modules/."
  type        = string
  default     = null
}

variable "install_cloudwatch_agent" {
  description = "Install the CloudWatch agent on the web server (the emulator turns it off: its download is unreachable offline)."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_ca_bundle_url" {
  description = "URL of the CA bundle that signs the database's certificate, installed on the web server at boot: AWS's RDS global bundle (https://), or a file:// URL the platform provides (the emulator's CA)."
  type        = string
  default     = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
  nullable    = false
}

variable "max_upload_bytes" {
  description = "Largest accepted upload in bytes, passed to the app."
  type        = number
  default     = 104857600
  nullable    = false
}

# ------------------------------------------------------------------ storage

variable "bucket_force_destroy" {
  description = "Allow destroying the files bucket while it holds objects (the uploads are the data)."
  type        = bool
  default     = false
  nullable    = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which non-current versions of uploaded files are deleted. null: never."
  type        = number
  default     = 90
}

# ----------------------------------------------------------------- database

variable "db_engine_version" {
  description = "MySQL engine version (major.minor lets RDS pick the minor release)."
  type        = string
  default     = "8.4"
  nullable    = false
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t3.micro"
  nullable    = false
}

variable "db_allocated_storage" {
  description = "Database storage in GiB."
  type        = number
  default     = 20
  nullable    = false
}

variable "db_max_allocated_storage" {
  description = "Upper limit in GiB for database storage autoscaling (0: off)."
  type        = number
  default     = 0
  nullable    = false
}

variable "db_port" {
  description = "TCP port of the database, open to the web server only."
  type        = number
  default     = 3306
  nullable    = false
}

variable "db_multi_az" {
  description = "Run a standby database in a second availability zone."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_deletion_protection" {
  description = "Refuse to delete the database until this is turned off."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_skip_final_snapshot" {
  description = "Delete the database without a final snapshot."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_backup_retention_period" {
  description = "Days of automated database backups."
  type        = number
  default     = 7
  nullable    = false
}

variable "db_apply_immediately" {
  description = "Apply database modifications at once instead of in the next maintenance window."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_log_exports" {
  description = "MySQL logs exported to CloudWatch Logs (any of audit, error, general, iam-db-auth-error, slowquery)."
  type        = list(string)
  default     = ["error", "slowquery"]
  nullable    = false
}

# --------------------------------------------------------------- monitoring

variable "log_retention_days" {
  description = "Days the app's and the database's CloudWatch logs are kept."
  type        = number
  default     = 30
  nullable    = false
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified by the CloudWatch alarms."
  type        = list(string)
  default     = []
  nullable    = false
}
