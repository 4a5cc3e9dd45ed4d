variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"filestore-dev-manual\"; it names the server in the bootstrap log."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,47}$", var.name_prefix))
    error_message = "name_prefix must be 2-48 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
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
  nullable    = false
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

variable "db_ca_bundle_url" {
  description = "Where user_data gets the CA bundle the app verifies the database's certificate against (FILESTORE_DB_CA_FILE): AWS's RDS global bundle over https://, or a file:// URL the platform provides (the emulator's CA, given to every instance by its data plane)."
  type        = string
  default     = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
  nullable    = false

  validation {
    condition     = startswith(var.db_ca_bundle_url, "https://") || startswith(var.db_ca_bundle_url, "file:///")
    error_message = "db_ca_bundle_url must be an https:// URL or a file:/// path."
  }
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
