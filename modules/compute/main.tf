# The web server: Ubuntu 24.04 LTS in the public subnet, IMDSv2 only, encrypted
# gp3 root volume, the instance profile for AWS credentials, and a user_data
# script that installs and starts the Flask app from app/ with no manual step:
# the app's files go to a private artifact bucket, user_data fetches them with
# the instance role and checks them against the SHA-256 sums it carries.

data "aws_ami" "ubuntu" {
  count = var.ami_id == null ? 1 : 0

  most_recent = true
  owners      = ["099720109477"] # Canonical

  filter {
    name   = "name"
    values = ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }

  filter {
    name   = "root-device-type"
    values = ["ebs"]
  }
}

data "aws_region" "current" {}

locals {
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ami.ubuntu[0].id

  # The app's files: everything under app/ except the deploy script itself,
  # tests, caches, hidden files and docs. They are uploaded to the artifact
  # bucket (the app is larger than the 16 KiB EC2 allows for user_data) and
  # user_data carries their SHA-256 sums: the instance installs exactly this
  # code, and any change to it changes user_data, which replaces the instance.
  app_file_excludes = "^deploy/|^tests?/|^instance/|(^|/)__pycache__/|(^|/)\\.|\\.py[co]$|\\.md$"
  app_file_paths = sort([
    for f in fileset(var.app_source_dir, "**") : f
    if !can(regex(local.app_file_excludes, f))
  ])
  app_manifest = join("\n", [for f in local.app_file_paths : "${filesha256("${var.app_source_dir}/${f}")}  ${f}"])

  # The app's configuration (docs/CONTRACTS.md). Names and places only: the
  # database password stays in SSM and is read by the app at start-up.
  app_environment = merge(var.extra_app_environment, {
    FILESTORE_BUCKET            = var.bucket_name
    AWS_REGION                  = data.aws_region.current.region
    AWS_DEFAULT_REGION          = data.aws_region.current.region
    FILESTORE_DB_HOST           = var.db_address
    FILESTORE_DB_PORT           = tostring(var.db_port)
    FILESTORE_DB_NAME           = var.db_name
    FILESTORE_DB_USER           = var.db_username
    FILESTORE_DB_PASSWORD_PARAM = var.db_password_parameter_name
    FILESTORE_MAX_UPLOAD_BYTES  = tostring(var.max_upload_bytes)
  })
  app_environment_file = join("\n", [for k in sort(keys(local.app_environment)) : "${k}=\"${local.app_environment[k]}\""])

  # gunicorn serves 'app:create_app()' from /opt/filestore with the app's own
  # gunicorn.conf.py when it ships one; the bind address always comes from here.
  gunicorn_args = join(" ", concat(
    contains(local.app_file_paths, "gunicorn.conf.py")
    ? ["--config", "/opt/filestore/app/gunicorn.conf.py"]
    : ["--worker-class", "gthread", "--threads", "4", "--timeout", "120", "--error-logfile", "-"],
    ["--bind", "0.0.0.0:${var.app_port}"],
    var.gunicorn_workers == null ? [] : ["--workers", tostring(var.gunicorn_workers)],
  ))

  cloudwatch_agent_config = jsonencode({
    agent = {
      run_as_user = "cwagent"
    }
    logs = {
      logs_collected = {
        files = {
          collect_list = [
            {
              file_path       = "/var/log/filestore/app.log"
              log_group_name  = var.log_group_name
              log_stream_name = "{instance_id}/app"
            },
            {
              file_path       = "/var/log/cloud-init-output.log"
              log_group_name  = var.log_group_name
              log_stream_name = "{instance_id}/bootstrap"
            },
            {
              file_path       = "/var/log/syslog"
              log_group_name  = var.log_group_name
              log_stream_name = "{instance_id}/syslog"
            },
          ]
        }
      }
    }
    metrics = {
      namespace         = var.metrics_namespace
      append_dimensions = { InstanceId = "$${aws:InstanceId}" }
      metrics_collected = {
        mem  = { measurement = ["mem_used_percent"], metrics_collection_interval = 60 }
        disk = { measurement = ["used_percent"], resources = ["/"], metrics_collection_interval = 60 }
      }
    }
  })

  user_data = templatefile("${var.app_source_dir}/deploy/user_data.sh.tftpl", {
    name_prefix                  = var.name_prefix
    region                       = data.aws_region.current.region
    artifact_bucket              = var.artifact_bucket_name
    artifact_prefix              = var.artifact_prefix
    app_manifest                 = local.app_manifest
    app_requirements             = file("${var.app_source_dir}/requirements.txt")
    app_environment_file         = local.app_environment_file
    app_port                     = var.app_port
    gunicorn_args                = local.gunicorn_args
    install_cloudwatch_agent     = var.install_cloudwatch_agent
    cloudwatch_agent_package_url = var.cloudwatch_agent_package_url
    cloudwatch_agent_config      = local.cloudwatch_agent_config
  })
  user_data_base64 = base64gzip(local.user_data)

  # EC2 takes at most 16 KiB of user data (before base64).
  user_data_limit_bytes = 16384
  user_data_bytes       = floor(length(local.user_data_base64) * 3 / 4)

  burstable = can(regex("^t[0-9][a-z]*\\.", var.instance_type))
}

resource "aws_s3_object" "app" {
  for_each = toset(local.app_file_paths)

  bucket      = var.artifact_bucket_name
  key         = "${var.artifact_prefix}${each.key}"
  source      = "${var.app_source_dir}/${each.key}"
  source_hash = filemd5("${var.app_source_dir}/${each.key}")

  tags = var.tags
}

resource "aws_instance" "this" {
  #checkov:skip=CKV_AWS_88:the web server answers HTTP on its own public address (no load balancer in this design)
  ami                    = local.ami_id
  instance_type          = var.instance_type
  subnet_id              = var.subnet_id
  vpc_security_group_ids = var.security_group_ids
  iam_instance_profile   = var.instance_profile_name
  key_name               = var.key_name
  monitoring             = var.monitoring
  ebs_optimized          = var.ebs_optimized

  user_data_base64            = local.user_data_base64
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    encrypted             = true
    kms_key_id            = var.root_volume_kms_key_arn
    delete_on_termination = true
  }

  dynamic "credit_specification" {
    for_each = local.burstable ? [var.cpu_credits] : []

    content {
      cpu_credits = credit_specification.value
    }
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-web" })

  lifecycle {
    precondition {
      condition     = local.user_data_bytes <= local.user_data_limit_bytes
      error_message = "The compressed user_data is ${local.user_data_bytes} bytes; EC2 accepts at most ${local.user_data_limit_bytes}. Ship fewer or smaller files in app/."
    }

    precondition {
      condition     = alltrue([for f in local.app_file_paths : can(regex("^[A-Za-z0-9_./-]+$", f))])
      error_message = "Every file shipped from app/ must have a path of letters, digits and _ . / - only (it is quoted in a shell script)."
    }

    precondition {
      condition     = contains(local.app_file_paths, "requirements.txt")
      error_message = "app/requirements.txt is missing: user_data installs the app's dependencies from it."
    }
  }

  # The app's files must be in the bucket before the instance boots and fetches them.
  depends_on = [aws_s3_object.app]
}
