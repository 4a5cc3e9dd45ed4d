# The app release the web server carries: every file of the Flask app goes to the
# private artifact bucket (the app is larger than the 16 KiB EC2 allows for
# user_data), and the user_data rendered from app/deploy/user_data.sh.tftpl carries
# their SHA-256 sums: the instance installs exactly this code, and any change to
# it changes user_data, which replaces the instance.

data "aws_region" "current" {}

locals {
  # Everything under app/ except the deploy script itself, tests, caches, hidden
  # files and docs.
  app_file_excludes = "^deploy/|^tests?/|^instance/|(^|/)__pycache__/|(^|/)\\.|\\.py[co]$|\\.md$"
  app_file_paths = sort([
    for f in fileset(var.app_source_dir, "**") : f
    if !can(regex(local.app_file_excludes, f))
  ])
  app_manifest = join("\n", [for f in local.app_file_paths : "${filesha256("${var.app_source_dir}/${f}")}  ${f}"])

  # Where user_data installs the database's CA bundle (from db_ca_bundle_url).
  db_ca_file = "/etc/filestore/rds-ca-bundle.pem"

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
    FILESTORE_DB_CA_FILE        = local.db_ca_file
    FILESTORE_MAX_UPLOAD_BYTES  = tostring(var.max_upload_bytes)
  })
  app_environment_file = join("\n", [for k in sort(keys(local.app_environment)) : "${k}=\"${local.app_environment[k]}\""])

  # gunicorn serves 'app:create_app()' from /opt/filestore with the app's own
  # gunicorn.conf.py when it ships one; the bind address always comes from here:
  # every address, port 80 (the web security group's port), as the unprivileged
  # service user through CAP_NET_BIND_SERVICE (the unit in user_data).
  gunicorn_args = join(" ", concat(
    contains(local.app_file_paths, "gunicorn.conf.py")
    ? ["--config", "/opt/filestore/app/gunicorn.conf.py"]
    : ["--worker-class", "gthread", "--threads", "4", "--timeout", "120", "--error-logfile", "-"],
    ["--bind", "0.0.0.0:80"],
    var.gunicorn_workers == null ? [] : ["--workers", tostring(var.gunicorn_workers)],
  ))

  log_files = {
    app       = "/var/log/filestore/app.log"
    bootstrap = "/var/log/cloud-init-output.log"
    syslog    = "/var/log/syslog"
  }
  cloudwatch_agent_config = jsonencode({
    agent = { run_as_user = "cwagent" }
    logs = {
      logs_collected = {
        files = {
          collect_list = [for stream, path in local.log_files : {
            file_path       = path
            log_group_name  = var.log_group_name
            log_stream_name = "{instance_id}/${stream}"
          }]
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
    gunicorn_args                = local.gunicorn_args
    install_cloudwatch_agent     = var.install_cloudwatch_agent
    db_ca_bundle_url             = var.db_ca_bundle_url
    db_ca_file                   = local.db_ca_file
    cloudwatch_agent_package_url = var.cloudwatch_agent_package_url
    cloudwatch_agent_config      = local.cloudwatch_agent_config
  })
  user_data_base64 = base64gzip(local.user_data)

  # EC2 takes at most 16 KiB of user data (before base64).
  user_data_limit_bytes = 16384
  user_data_bytes       = floor(length(local.user_data_base64) * 3 / 4)
}

resource "aws_s3_object" "app" {
  for_each = toset(local.app_file_paths)

  bucket      = var.artifact_bucket_name
  key         = "${var.artifact_prefix}${each.key}"
  source      = "${var.app_source_dir}/${each.key}"
  source_hash = filemd5("${var.app_source_dir}/${each.key}")

  tags = var.tags
}
