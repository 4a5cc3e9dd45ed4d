# The whole file service: every module of the stack, wired together. The
# environments call it once each, with the settings in which they differ; its
# defaults are the safe ones (Multi-AZ, deletion protection, final snapshot, a
# week of backups, no force-destroy, detailed monitoring) at free-tier sizes.

locals {
  name_prefix       = "${var.project}-${var.environment}-${var.run_id}"
  metrics_namespace = "${var.project}/${var.environment}"
  app_source_dir    = coalesce(var.app_source_dir, "${path.module}/../../app")

  # The app listens on port 80 of every address: it is reached at the
  # instance's public address (else its public DNS name, else its private IP).
  app_url = format("http://%s", coalesce(
    module.compute.public_ip, module.compute.public_dns, module.compute.private_ip,
  ))
}

module "network" {
  source = "../network"

  name_prefix        = local.name_prefix
  cidr               = var.vpc_cidr
  availability_zones = var.availability_zones
  enable_flow_logs   = var.enable_flow_logs
  tags               = var.tags
}

module "security" {
  source = "../security"

  name_prefix   = local.name_prefix
  vpc_id        = module.network.vpc_id
  operator_cidr = var.operator_cidr
  http_port     = 80 # the seed's front door, where gunicorn binds (see release)
  db_port       = var.db_port
  tags          = var.tags
}

module "storage" {
  source = "../storage"

  name_prefix                        = local.name_prefix
  purpose                            = "files"
  force_destroy                      = var.bucket_force_destroy
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  tags                               = var.tags
}

module "artifacts" {
  source = "../storage"

  name_prefix                        = local.name_prefix
  purpose                            = "artifacts"
  force_destroy                      = true # rebuilt from the repository at every apply
  noncurrent_version_expiration_days = 7
  tags                               = var.tags
}

module "database" {
  source = "../database"

  name_prefix             = local.name_prefix
  subnet_ids              = module.network.private_subnet_ids
  security_group_ids      = [module.security.db_security_group_id]
  password_parameter_name = "/${var.project}/${var.environment}/${var.run_id}/db/password"

  engine_version        = var.db_engine_version
  instance_class        = var.db_instance_class
  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  port                  = var.db_port

  multi_az                        = var.db_multi_az
  deletion_protection             = var.db_deletion_protection
  skip_final_snapshot             = var.db_skip_final_snapshot
  backup_retention_period         = var.db_backup_retention_period
  apply_immediately               = var.db_apply_immediately
  enabled_cloudwatch_logs_exports = var.db_log_exports
  log_retention_days              = var.log_retention_days
  tags                            = var.tags
}

module "iam" {
  source = "../iam"

  name_prefix               = local.name_prefix
  bucket_arn                = module.storage.bucket_arn
  artifact_bucket_arn       = module.artifacts.bucket_arn
  db_password_parameter_arn = module.database.password_parameter_arn
  log_group_arn             = module.monitoring.log_group_arn
  metrics_namespace         = local.metrics_namespace
  tags                      = var.tags
}

module "release" {
  source = "../release"

  name_prefix                = local.name_prefix
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
  install_cloudwatch_agent   = var.install_cloudwatch_agent
  db_ca_bundle_url           = var.db_ca_bundle_url
  tags                       = var.tags
}

module "compute" {
  source = "../compute"

  name_prefix           = local.name_prefix
  ami_id                = var.ami_id
  instance_type         = var.instance_type
  subnet_id             = module.network.public_subnet_id
  security_group_ids    = [module.security.web_security_group_id]
  instance_profile_name = module.iam.instance_profile_name
  key_name              = var.ssh_key_name
  monitoring            = var.detailed_monitoring
  user_data_base64      = module.release.user_data_base64
  tags                  = var.tags
}

module "monitoring" {
  source = "../monitoring"

  name_prefix         = local.name_prefix
  log_retention_days  = var.log_retention_days
  instance_id         = module.compute.instance_id
  detailed_monitoring = var.detailed_monitoring
  alarm_actions       = var.alarm_actions
  tags                = var.tags
}
