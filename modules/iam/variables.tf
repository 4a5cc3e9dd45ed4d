variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"filestore-dev-manual\"; the role is \"<name_prefix>-instance\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,47}$", var.name_prefix))
    error_message = "name_prefix must be 2-48 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "bucket_arn" {
  description = "ARN of the one S3 bucket the app reads and writes (the uploaded files)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_arn))
    error_message = "bucket_arn must be an S3 bucket ARN such as \"arn:aws:s3:::my-bucket\" (no wildcard, no object path)."
  }
}

variable "artifact_bucket_arn" {
  description = "ARN of the bucket holding the app's files, which the instance reads at boot (read-only, under artifact_prefix)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifact_bucket_arn))
    error_message = "artifact_bucket_arn must be an S3 bucket ARN such as \"arn:aws:s3:::my-bucket\" (no wildcard, no object path)."
  }
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

variable "db_password_parameter_arn" {
  description = "ARN of the SSM SecureString holding the database password; the only parameter the instance may read."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[^*]+$", var.db_password_parameter_arn))
    error_message = "db_password_parameter_arn must be the ARN of one SSM parameter (no wildcard)."
  }
}

variable "ssm_kms_key_arn" {
  description = "ARN of a customer-managed KMS key encrypting the password parameter; grants kms:Decrypt through SSM only. null: the parameter uses the AWS-managed key, whose key policy already allows it."
  type        = string
  default     = null

  validation {
    condition     = var.ssm_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[^*]+$", var.ssm_kms_key_arn))
    error_message = "ssm_kms_key_arn must be the ARN of one KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID), or null."
  }
}

variable "log_group_arn" {
  description = "ARN of the CloudWatch log group the instance ships its logs to (without a trailing \":*\")."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[^*]+$", var.log_group_arn)) && !endswith(var.log_group_arn, ":*")
    error_message = "log_group_arn must be the ARN of one log group, without wildcards or a trailing \":*\"."
  }
}

variable "metrics_namespace" {
  description = "The only CloudWatch metrics namespace the instance may publish to (cloudwatch:PutMetricData is conditioned on it)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#: -]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 characters of letters, digits and . _ / # : - or space, and must not start with \"AWS/\"."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of a managed policy set as the role's permissions boundary. null: none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module (merged with a Name tag)."
  type        = map(string)
  default     = {}
  nullable    = false
}
