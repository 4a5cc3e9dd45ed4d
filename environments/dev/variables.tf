# The inputs of every environment (docs/CONTRACTS.md); prod links to this file. The
# sizes, whose defaults differ, are in each environment's main.tf. Each input is
# checked where it is used: project and run_id by modules/stack, operator_cidr by
# modules/security, sizes and ports by the module they size.

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
  description = "Project name: first part of every resource name and the Project tag; ^[a-z][a-z0-9-]{1,20}$."
  type        = string
  default     = "filestore"
  nullable    = false
}

variable "run_id" {
  description = "Identifier of this deployment (set by the tests): part of every resource name and the run_id tag, so parallel stacks never collide and leftovers can be swept; ^[a-z0-9][a-z0-9-]{0,19}$."
  type        = string
  default     = "manual"
  nullable    = false
}

variable "operator_cidr" {
  description = "The only source allowed to SSH to the web server, e.g. \"203.0.113.10/32\". A /0 (the whole internet) is refused."
  type        = string
  nullable    = false
}

variable "ami_id" {
  description = "AMI of the web server. null: the newest Ubuntu 24.04 LTS amd64 image published by Canonical (owner 099720109477)."
  type        = string
  default     = null
}

variable "ssh_key_name" {
  description = "EC2 key pair for SSH to the web server (the AWS target's database tunnel). null: no key pair."
  type        = string
  default     = null
}

variable "max_upload_bytes" {
  description = "Largest accepted upload in bytes, passed to the app (FILESTORE_MAX_UPLOAD_BYTES)."
  type        = number
  default     = 104857600
  nullable    = false
}

variable "install_cloudwatch_agent" {
  description = "Install the CloudWatch agent on the web server. The emulator target sets false: the agent's download is unreachable offline."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_ca_bundle_url" {
  description = "Where the web server gets the CA bundle that signs the database's certificate: AWS's RDS global bundle. The emulator target sets the file:// URL of its own CA, which its data plane gives every instance."
  type        = string
  default     = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
  nullable    = false
}

variable "db_port" {
  description = "TCP port of the database. The emulator target sets the port of the MariaDB standing in for RDS."
  type        = number
  default     = 3306
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
