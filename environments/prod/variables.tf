variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$", var.region))
    error_message = "region must be an AWS region name such as \"us-east-1\"."
  }
}

variable "project" {
  description = "Project name: first part of every resource name and the Project tag."
  type        = string
  default     = "filestore"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "run_id" {
  description = "Identifier of this deployment (set by the tests): part of every resource name and the run_id tag, so parallel stacks never collide and leftovers can be swept."
  type        = string
  default     = "manual"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,19}$", var.run_id))
    error_message = "run_id must be 1-20 characters of lowercase letters, digits and hyphens, starting with a letter or digit."
  }
}

variable "operator_cidr" {
  description = "The only source allowed to SSH to the web server, e.g. \"203.0.113.10/32\". A /0 (the whole internet) is refused."
  type        = string
  nullable    = false

  validation {
    condition     = can(cidrhost(var.operator_cidr, 0)) && try(cidrsubnet(var.operator_cidr, 0, 0) == var.operator_cidr, false)
    error_message = "operator_cidr must be a valid IPv4 or IPv6 CIDR block in canonical form (host bits zero), e.g. \"203.0.113.10/32\"."
  }

  validation {
    condition     = !contains(["0.0.0.0/0", "::/0"], var.operator_cidr) && try(tonumber(split("/", var.operator_cidr)[1]) > 0, false)
    error_message = "operator_cidr must not open SSH to the whole internet (0.0.0.0/0 or ::/0)."
  }
}

variable "ami_id" {
  description = "AMI of the web server. null: the newest Ubuntu 24.04 LTS amd64 image published by Canonical (owner 099720109477)."
  type        = string
  default     = null
}

variable "instance_type" {
  description = "EC2 instance type of the web server."
  type        = string
  default     = "t3.small"
  nullable    = false
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t3.small"
  nullable    = false
}

variable "db_allocated_storage" {
  description = "Database storage in GiB (autoscaling may grow it up to db_max_allocated_storage)."
  type        = number
  default     = 20
  nullable    = false
}

variable "db_engine_version" {
  description = "MySQL engine version (major.minor lets RDS pick the minor release)."
  type        = string
  default     = "8.4"
  nullable    = false
}

variable "db_max_allocated_storage" {
  description = "Upper limit in GiB for database storage autoscaling (0: off)."
  type        = number
  default     = 100
  nullable    = false
}

variable "db_multi_az" {
  description = "Run a standby database in a second availability zone."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_deletion_protection" {
  description = "Refuse to delete the database until this is turned off (set false, apply, then destroy)."
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

variable "bucket_force_destroy" {
  description = "Allow destroying the files bucket while it holds objects. Keep false: uploads are the data."
  type        = bool
  default     = false
  nullable    = false
}

variable "instance_detailed_monitoring" {
  description = "Detailed (1-minute) CloudWatch monitoring of the web server; the alarms then evaluate 1-minute periods."
  type        = bool
  default     = true
  nullable    = false
}

variable "ssh_key_name" {
  description = "EC2 key pair for SSH to the web server (the AWS target's database tunnel). null: no key pair."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days the app's CloudWatch logs are kept."
  type        = number
  default     = 90
  nullable    = false
}

variable "max_upload_bytes" {
  description = "Largest accepted upload in bytes, passed to the app (FILESTORE_MAX_UPLOAD_BYTES)."
  type        = number
  default     = 104857600
  nullable    = false
}

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

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified by the CloudWatch alarms."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Extra tags on every resource (the Project, Environment, run_id and ManagedBy tags always win)."
  type        = map(string)
  default     = {}
  nullable    = false
}
