# RDS MySQL in the private subnets, never publicly accessible, encrypted at rest.
# The master password is generated here, written to an SSM SecureString (the app
# reads it at start-up through its instance role) and never output.

locals {
  identifier = replace("${var.name_prefix}-db", "/-+/", "-")
  # "8.4" or "8.4.3" -> "mysql8.4"
  parameter_group_family = "mysql${join(".", slice(split(".", var.engine_version), 0, 2))}"
}

# Only TLS connections: up to MySQL 8.4 RDS accepts plaintext logins unless
# require_secure_transport is on (1 = ON; a dynamic parameter, no reboot). The app
# connects over TLS and verifies the server against the RDS CA bundle.
resource "aws_db_parameter_group" "this" {
  name        = local.identifier
  family      = local.parameter_group_family
  description = "Parameters of ${local.identifier}: TLS connections only"

  parameter {
    name         = "require_secure_transport"
    value        = "1"
    apply_method = "immediate"
  }

  tags = merge(var.tags, { Name = local.identifier })
}

resource "aws_db_subnet_group" "this" {
  name        = local.identifier
  description = "Private subnets of ${var.name_prefix}'s database"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = local.identifier })
}

# RDS accepts any printable ASCII in a master password except '/', '@', '"' and space.
resource "random_password" "this" {
  length           = 32
  special          = true
  override_special = "!#$%&*()-_=+[]{}<>:?"
  min_lower        = 2
  min_upper        = 2
  min_numeric      = 2
  min_special      = 2
}

resource "aws_ssm_parameter" "this" {
  name        = var.password_parameter_name
  description = "Master password of the ${local.identifier} RDS instance"
  type        = "SecureString"
  key_id      = var.password_parameter_kms_key_id
  value       = random_password.this.result

  tags = merge(var.tags, { Name = var.password_parameter_name })
}

resource "random_id" "final_snapshot" {
  count = var.skip_final_snapshot ? 0 : 1

  byte_length = 4
  keepers = {
    identifier = local.identifier
  }
}

# RDS would create these log groups itself on first export and never delete
# them; created here, they get a retention and are destroyed with the stack.
resource "aws_cloudwatch_log_group" "exports" {
  for_each = toset(var.enabled_cloudwatch_logs_exports)

  name              = "/aws/rds/instance/${local.identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = merge(var.tags, { Name = "/aws/rds/instance/${local.identifier}/${each.key}" })
}

resource "aws_db_instance" "this" {
  identifier     = local.identifier
  engine         = "mysql"
  engine_version = var.engine_version
  instance_class = var.instance_class

  db_name  = var.db_name
  username = var.username
  password = random_password.this.result
  port     = var.port

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = var.storage_type
  storage_encrypted     = true
  kms_key_id            = var.storage_kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = var.security_group_ids
  publicly_accessible    = false
  multi_az               = var.multi_az
  parameter_group_name   = aws_db_parameter_group.this.name
  ca_cert_identifier     = var.ca_cert_identifier

  iam_database_authentication_enabled = var.iam_database_authentication_enabled
  enabled_cloudwatch_logs_exports     = var.enabled_cloudwatch_logs_exports

  backup_retention_period   = var.backup_retention_period
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${local.identifier}-final-${random_id.final_snapshot[0].hex}"

  auto_minor_version_upgrade = true
  apply_immediately          = var.apply_immediately

  tags = merge(var.tags, { Name = local.identifier })

  depends_on = [aws_cloudwatch_log_group.exports]
}
