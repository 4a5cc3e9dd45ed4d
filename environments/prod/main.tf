# The prod environment: the same modules as dev with the safe settings: deletion
# protection, Multi-AZ, final snapshot, 7-day backups, DB log exports, detailed
# monitoring, VPC flow logs, and a files bucket that is never force-destroyed.

locals {
  environment = "prod"
  name_prefix = "${var.project}-${local.environment}-${var.run_id}"

  common_tags = merge(var.tags, {
    Project     = var.project
    Environment = local.environment
    run_id      = var.run_id
    ManagedBy   = "terraform"
  })

  db_password_parameter_name = "/${var.project}/${local.environment}/${var.run_id}/db/password"
  metrics_namespace          = "${var.project}/${local.environment}"
  app_source_dir             = "${path.root}/../../app"
}

module "network" {
  source = "../../modules/network"

  name_prefix        = local.name_prefix
  cidr               = var.vpc_cidr
  availability_zones = var.availability_zones
  enable_flow_logs   = var.enable_flow_logs
}

module "security" {
  source = "../../modules/security"

  name_prefix   = local.name_prefix
  vpc_id        = module.network.vpc_id
  operator_cidr = var.operator_cidr
}

module "storage" {
  source = "../../modules/storage"

  name_prefix                        = local.name_prefix
  purpose                            = "files"
  force_destroy                      = var.bucket_force_destroy
  noncurrent_version_expiration_days = 90
}

module "artifacts" {
  source = "../../modules/storage"

  name_prefix                        = local.name_prefix
  purpose                            = "artifacts"
  force_destroy                      = true # rebuilt from the repository at every apply
  noncurrent_version_expiration_days = 7
}

module "database" {
  source = "../../modules/database"

  name_prefix             = local.name_prefix
  subnet_ids              = module.network.private_subnet_ids
  security_group_ids      = [module.security.db_security_group_id]
  password_parameter_name = local.db_password_parameter_name

  engine_version        = var.db_engine_version
  instance_class        = var.db_instance_class
  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"

  multi_az                        = var.db_multi_az
  deletion_protection             = var.db_deletion_protection
  skip_final_snapshot             = var.db_skip_final_snapshot
  backup_retention_period         = var.db_backup_retention_period
  apply_immediately               = false
  enabled_cloudwatch_logs_exports = ["error", "slowquery"]
  log_retention_days              = var.log_retention_days
}

module "iam" {
  source = "../../modules/iam"

  name_prefix               = local.name_prefix
  bucket_arn                = module.storage.bucket_arn
  artifact_bucket_arn       = module.artifacts.bucket_arn
  db_password_parameter_arn = module.database.password_parameter_arn
  log_group_arn             = module.monitoring.log_group_arn
  metrics_namespace         = local.metrics_namespace
}

module "compute" {
  source = "../../modules/compute"

  name_prefix           = local.name_prefix
  ami_id                = var.ami_id
  instance_type         = var.instance_type
  subnet_id             = module.network.public_subnet_id
  security_group_ids    = [module.security.web_security_group_id]
  instance_profile_name = module.iam.instance_profile_name
  key_name              = var.ssh_key_name
  monitoring            = var.instance_detailed_monitoring

  app_source_dir             = local.app_source_dir
  artifact_bucket_name       = module.artifacts.bucket_name
  bucket_name                = module.storage.bucket_name
  db_address                 = module.database.address
  db_port                    = module.database.port
  db_name                    = module.database.db_name
  db_username                = module.database.username
  db_password_parameter_name = module.database.password_parameter_name
  max_upload_bytes           = var.max_upload_bytes
  log_group_name             = module.monitoring.log_group_name
  metrics_namespace          = local.metrics_namespace
}

module "monitoring" {
  source = "../../modules/monitoring"

  name_prefix          = local.name_prefix
  log_retention_days   = var.log_retention_days
  instance_id          = module.compute.instance_id
  alarm_period_seconds = var.instance_detailed_monitoring ? 60 : 300
  alarm_actions        = var.alarm_actions
}
