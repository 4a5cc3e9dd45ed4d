variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"filestore-dev-manual\"; the log group is \"/<name_prefix>/app\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,47}$", var.name_prefix))
    error_message = "name_prefix must be 2-48 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "log_retention_days" {
  description = "Days the application's logs are kept (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN to encrypt the log group with. null: CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "instance_id" {
  description = "ID of the EC2 instance the alarms watch."
  type        = string
  nullable    = false
}

variable "cpu_threshold_percent" {
  description = "Average CPU utilisation (percent) above which the CPU alarm fires."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.cpu_threshold_percent > 0 && var.cpu_threshold_percent <= 100
    error_message = "cpu_threshold_percent must be in (0, 100]."
  }
}

variable "detailed_monitoring" {
  description = "Whether the instance has detailed (1-minute) EC2 monitoring: the CPU alarm then evaluates 1-minute periods, otherwise the 5-minute periods of basic monitoring."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_evaluation_periods" {
  description = "Consecutive periods that must breach before an alarm fires."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 24 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "alarm_evaluation_periods must be a whole number between 1 and 24."
  }
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified when an alarm fires."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "ok_actions" {
  description = "ARNs (e.g. SNS topics) notified when an alarm returns to OK."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource of the module (merged with a Name tag)."
  type        = map(string)
  default     = {}
  nullable    = false
}
