variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"filestore-dev-manual\"; the bucket is named \"<name_prefix>-<purpose>-<account id>\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,47}$", var.name_prefix))
    error_message = "name_prefix must be 2-48 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "purpose" {
  description = "What the bucket holds, one word used in its name, e.g. \"files\" or \"artifacts\"."
  type        = string
  default     = "files"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.purpose))
    error_message = "purpose must be 2-12 lowercase letters or digits, starting with a letter."
  }
}

variable "bucket_name" {
  description = "Exact bucket name, overriding the generated one. null: \"<name_prefix>-<purpose>-<account id>\", or, when that exceeds 63 characters, the start of name_prefix plus 8 hex digits of its SHA-1 in place of name_prefix."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "force_destroy" {
  description = "Allow destroying the bucket while it still holds objects (and object versions). Keep false wherever the data matters."
  type        = bool
  default     = false
  nullable    = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which non-current object versions are deleted. null: keep them forever."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days == null || try(var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days, false)
    error_message = "noncurrent_version_expiration_days must be a whole number of days >= 1, or null."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted (and their parts deleted)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days >= 1."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (merged with a Name tag)."
  type        = map(string)
  default     = {}
  nullable    = false
}
