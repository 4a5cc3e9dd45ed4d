output "user_data_base64" {
  description = "The instance's user_data, gzip+base64 (cloud-init takes gzip as it is). Known once the app's files are in the artifact bucket, so an instance that uses it boots after the upload."
  value       = local.user_data_base64

  depends_on = [aws_s3_object.app]

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

output "user_data" {
  description = "The rendered user_data script, uncompressed (it holds no secret: the database password is read from SSM by the app)."
  value       = local.user_data
}

output "user_data_size_bytes" {
  description = "Length of the gzip+base64 user_data string (the decoded payload must stay within EC2's 16 KiB)."
  value       = length(local.user_data_base64)
}

output "app_files" {
  description = "Paths (relative to app_source_dir) of the app's files in the artifact bucket."
  value       = local.app_file_paths
}

output "app_environment" {
  description = "The app's environment variables as written to /etc/filestore/filestore.env (names and places only, no secret)."
  value       = local.app_environment
}
