# tflint-ignore-file: terraform_standard_module_structure # its sizes are declared here, see below
# The dev environment: the whole stack at free-tier sizes, easy to tear down: no
# deletion protection, no final snapshot, one day of backups, buckets emptied on
# destroy, no VPC flow logs, no detailed monitoring. variables.tf, outputs.tf,
# providers.tf and versions.tf are the same for every environment (prod links to
# them); this file holds what is dev's own.

locals {
  environment = "dev"
}

# The inputs whose defaults are dev's own (the others are in variables.tf, which
# every environment shares, and which therefore cannot hold them).
variable "instance_type" {
  description = "EC2 instance type of the web server (free tier: t3.micro)."
  type        = string
  default     = "t3.micro"
  nullable    = false
}

variable "db_instance_class" {
  description = "RDS instance class (free tier: db.t3.micro)."
  type        = string
  default     = "db.t3.micro"
  nullable    = false
}

variable "db_allocated_storage" {
  description = "Database storage in GiB (free tier: 20)."
  type        = number
  default     = 20
  nullable    = false
}

variable "log_retention_days" {
  description = "Days the CloudWatch logs are kept."
  type        = number
  default     = 14
  nullable    = false
}

module "stack" {
  source = "../../modules/stack"

  environment   = local.environment
  project       = var.project
  run_id        = var.run_id
  operator_cidr = var.operator_cidr

  enable_flow_logs = false

  ami_id                   = var.ami_id
  instance_type            = var.instance_type
  detailed_monitoring      = false # not free; the CPU alarm evaluates 5-minute periods
  ssh_key_name             = var.ssh_key_name
  install_cloudwatch_agent = var.install_cloudwatch_agent
  db_ca_bundle_url         = var.db_ca_bundle_url
  max_upload_bytes         = var.max_upload_bytes

  bucket_force_destroy               = true # the tests destroy the stack with uploads in it
  noncurrent_version_expiration_days = 7

  db_instance_class          = var.db_instance_class
  db_allocated_storage       = var.db_allocated_storage
  db_max_allocated_storage   = 0 # autoscaling could leave the free tier's 20 GiB
  db_port                    = var.db_port
  db_multi_az                = false
  db_deletion_protection     = false
  db_skip_final_snapshot     = true
  db_backup_retention_period = 1
  db_apply_immediately       = true

  log_retention_days = var.log_retention_days
  alarm_actions      = var.alarm_actions
}
