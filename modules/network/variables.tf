variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"filestore-dev-manual\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,47}$", var.name_prefix))
    error_message = "name_prefix must be 2-48 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr" {
  description = "IPv4 CIDR block of the VPC (a /16 to /20; subnets are carved out with 8 extra bits)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr)) && try(cidrsubnet(var.cidr, 0, 0) == var.cidr, false)
    error_message = "cidr must be a valid IPv4 CIDR block in canonical form, e.g. \"10.0.0.0/16\"."
  }

  validation {
    condition     = try(tonumber(split("/", var.cidr)[1]) >= 16 && tonumber(split("/", var.cidr)[1]) <= 20, false)
    error_message = "cidr must have a prefix length between /16 and /20."
  }
}

variable "availability_zones" {
  description = "At least two availability zone names; the public subnet goes in the first, the private subnets in the first two. null: the first two zones reported as available in the region."
  type        = list(string)
  default     = null

  validation {
    condition     = var.availability_zones == null || try(length(distinct(var.availability_zones)) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones), false)
    error_message = "availability_zones must list at least two distinct zone names (or be null)."
  }
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs (rejected traffic only, to keep them cheap) to a CloudWatch log group created by this module."
  type        = bool
  default     = true
  nullable    = false
}

variable "flow_logs_traffic_type" {
  description = "Traffic captured by the flow log: ACCEPT, REJECT or ALL."
  type        = string
  default     = "REJECT"
  nullable    = false

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_logs_traffic_type)
    error_message = "flow_logs_traffic_type must be one of ACCEPT, REJECT, ALL."
  }
}

variable "flow_logs_retention_days" {
  description = "Retention of the flow log group, in days: one of the values CloudWatch Logs accepts (the AWS provider refuses others at plan)."
  type        = number
  default     = 14
  nullable    = false
}

variable "flow_logs_kms_key_arn" {
  description = "KMS key ARN to encrypt the flow log group with. null: CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module (merged with a Name tag)."
  type        = map(string)
  default     = {}
  nullable    = false
}
