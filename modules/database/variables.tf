variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"filestore-dev-manual\"; the DB instance identifier is \"<name_prefix>-db\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,47}$", var.name_prefix))
    error_message = "name_prefix must be 2-48 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "subnet_ids" {
  description = "IDs of the private subnets (at least two, in different availability zones) for the DB subnet group."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets (RDS requires two availability zones)."
  }
}

variable "security_group_ids" {
  description = "Security groups attached to the DB instance."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1
    error_message = "security_group_ids must list at least one security group."
  }
}

variable "password_parameter_name" {
  description = "Name of the SSM SecureString parameter that receives the generated master password, e.g. \"/filestore/dev/manual/db/password\"."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.password_parameter_name)) && length(var.password_parameter_name) <= 1011
    error_message = "password_parameter_name must be a hierarchical SSM parameter name starting with \"/\" (letters, digits, _ . - and /)."
  }
}

variable "password_parameter_kms_key_id" {
  description = "KMS key (ID, alias or ARN) encrypting the password parameter. null: the AWS-managed key alias/aws/ssm."
  type        = string
  default     = null
}

variable "engine_version" {
  description = "MySQL engine version; a major.minor such as \"8.4\" lets RDS pick (and upgrade) the minor release."
  type        = string
  default     = "8.4"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must look like \"8.4\" or \"8.0.40\"."
  }
}

variable "instance_class" {
  description = "RDS instance class, e.g. \"db.t3.micro\" (free tier)."
  type        = string
  default     = "db.t3.micro"
  nullable    = false

  validation {
    condition     = can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must be an RDS instance class such as \"db.t3.micro\" (it starts with \"db.\")."
  }
}

variable "allocated_storage" {
  description = "Allocated storage in GiB (20 to 65536)."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536 && floor(var.allocated_storage) == var.allocated_storage
    error_message = "allocated_storage must be a whole number of GiB between 20 and 65536."
  }
}

variable "max_allocated_storage" {
  description = "Upper limit in GiB for storage autoscaling. 0: autoscaling off."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.max_allocated_storage == 0 || (var.max_allocated_storage >= 20 && var.max_allocated_storage <= 65536)
    error_message = "max_allocated_storage must be 0 (off) or between 20 and 65536 GiB."
  }
}

variable "storage_type" {
  description = "Storage type: gp3 or gp2 (general purpose SSD), io1/io2 (provisioned IOPS)."
  type        = string
  default     = "gp3"
  nullable    = false

  validation {
    condition     = contains(["gp2", "gp3", "io1", "io2"], var.storage_type)
    error_message = "storage_type must be one of gp2, gp3, io1, io2."
  }
}

variable "storage_kms_key_arn" {
  description = "KMS key ARN for storage encryption. null: the AWS-managed key alias/aws/rds (storage is encrypted either way)."
  type        = string
  default     = null
}

variable "db_name" {
  description = "Name of the database created in the instance."
  type        = string
  default     = "filestore"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,63}$", var.db_name))
    error_message = "db_name must start with a letter and hold at most 64 letters, digits or underscores."
  }
}

variable "username" {
  description = "Master user name."
  type        = string
  default     = "filestore_admin"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.username)) && !contains(["admin", "root", "rdsadmin", "mysql"], lower(var.username))
    error_message = "username must start with a letter, hold at most 16 letters, digits or underscores, and not be a reserved name (admin, root, rdsadmin, mysql)."
  }
}

variable "port" {
  description = "TCP port the database listens on."
  type        = number
  default     = 3306
  nullable    = false

  validation {
    condition     = var.port >= 1150 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be an integer between 1150 and 65535."
  }
}

variable "multi_az" {
  description = "Run a standby in a second availability zone. Doubles the cost; dev opts out."
  type        = bool
  default     = true
  nullable    = false
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is turned off. Dev and test stacks opt out."
  type        = bool
  default     = true
  nullable    = false
}

variable "skip_final_snapshot" {
  description = "Delete the instance without a final snapshot. false: a snapshot \"<name_prefix>-db-final-<random>\" is taken on destroy."
  type        = bool
  default     = false
  nullable    = false
}

variable "backup_retention_period" {
  description = "Days of automated backups to keep (1 to 35)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.backup_retention_period >= 1 && var.backup_retention_period <= 35 && floor(var.backup_retention_period) == var.backup_retention_period
    error_message = "backup_retention_period must be a whole number of days between 1 and 35."
  }
}

variable "backup_window" {
  description = "Daily UTC window for automated backups, e.g. \"03:00-04:00\". null: chosen by RDS."
  type        = string
  default     = null

  validation {
    condition     = var.backup_window == null || can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must look like \"03:00-04:00\" (UTC) or be null."
  }
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window, e.g. \"sun:04:30-sun:05:30\". null: chosen by RDS."
  type        = string
  default     = null

  validation {
    condition     = var.maintenance_window == null || can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must look like \"sun:04:30-sun:05:30\" (UTC) or be null."
  }
}

variable "apply_immediately" {
  description = "Apply modifications now instead of in the next maintenance window (dev: true)."
  type        = bool
  default     = false
  nullable    = false
}

variable "iam_database_authentication_enabled" {
  description = "Allow IAM database authentication in addition to the password."
  type        = bool
  default     = true
  nullable    = false
}

variable "enabled_cloudwatch_logs_exports" {
  description = "MySQL logs exported to CloudWatch Logs (any of audit, error, general, iam-db-auth-error, slowquery). The module creates their log groups, so they go away with the stack."
  type        = list(string)
  default     = ["error", "slowquery"]
  nullable    = false

  validation {
    condition     = alltrue([for l in var.enabled_cloudwatch_logs_exports : contains(["audit", "error", "general", "iam-db-auth-error", "slowquery"], l)])
    error_message = "enabled_cloudwatch_logs_exports may only contain audit, error, general, iam-db-auth-error, slowquery."
  }
}

variable "log_retention_days" {
  description = "Days the exported database logs are kept: one of the values CloudWatch Logs accepts (the AWS provider refuses others at plan)."
  type        = number
  default     = 30
  nullable    = false
}

variable "log_kms_key_arn" {
  description = "KMS key ARN encrypting the exported logs' log groups. null: CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "ca_cert_identifier" {
  description = "The RDS CA that signs the instance's server certificate; the app verifies it against the RDS global bundle, which holds all three current CAs."
  type        = string
  default     = "rds-ca-rsa2048-g1"
  nullable    = false

  validation {
    condition     = contains(["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"], var.ca_cert_identifier)
    error_message = "ca_cert_identifier must be a current RDS CA: rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 or rds-ca-ecc384-g1."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (merged with a Name tag)."
  type        = map(string)
  default     = {}
  nullable    = false
}
