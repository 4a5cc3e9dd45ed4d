# tflint-ignore-file: terraform_standard_module_structure # its sizes are declared here, see below
# The prod environment: the stack with its safe defaults (Multi-AZ, deletion
# protection, final snapshot, a week of backups, DB log exports, detailed
# monitoring, VPC flow logs, a files bucket that is never force-destroyed) at
# small sizes. variables.tf, outputs.tf, providers.tf and versions.tf are dev's
# (the same for every environment); this file holds what is prod's own.
#
# To destroy prod on purpose: set db_deletion_protection = false (and
# bucket_force_destroy = true if the uploads may go), apply, then destroy.

locals {
  environment = "prod"
}

# The inputs whose defaults are prod's own (the others are in variables.tf, which
# every environment shares, and which therefore cannot hold them).
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
  description = "Database storage in GiB (autoscaling may grow it up to 100)."
  type        = number
  default     = 20
  nullable    = false
}

variable "log_retention_days" {
  description = "Days the CloudWatch logs are kept."
  type        = number
  default     = 90
  nullable    = false
}

module "stack" {
  source = "../../modules/stack"

  environment   = local.environment
  project       = var.project
  run_id        = var.run_id
  operator_cidr = var.operator_cidr

  enable_flow_logs = true

  ami_id                   = var.ami_id # pin it: a new Canonical image replaces the instance
  instance_type            = var.instance_type
  detailed_monitoring      = true # the CPU alarm evaluates 1-minute periods
  ssh_key_name             = var.ssh_key_name
  install_cloudwatch_agent = var.install_cloudwatch_agent
  db_ca_bundle_url         = var.db_ca_bundle_url
  max_upload_bytes         = var.max_upload_bytes

  bucket_force_destroy               = false # the uploads are the data
  noncurrent_version_expiration_days = 90

  db_instance_class          = var.db_instance_class
  db_allocated_storage       = var.db_allocated_storage
  db_max_allocated_storage   = 100
  db_port                    = var.db_port
  db_multi_az                = true
  db_deletion_protection     = true
  db_skip_final_snapshot     = false
  db_backup_retention_period = 7
  db_apply_immediately       = false

  log_retention_days = var.log_retention_days
  alarm_actions      = var.alarm_actions
}
