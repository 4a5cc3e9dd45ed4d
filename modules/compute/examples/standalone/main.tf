# The compute module on its own: a hardened Ubuntu web server in an existing public
# subnet that serves a static page with nginx, with no app release and no database.
#
#   tofu init && tofu apply -var subnet_id=... -var security_group_ids='["sg-..."]' \
#     -var instance_profile_name=...

provider "aws" {
  region = var.region
}

module "web" {
  source = "../.."

  name_prefix           = var.name_prefix
  ami_id                = var.ami_id
  subnet_id             = var.subnet_id
  security_group_ids    = var.security_group_ids
  instance_profile_name = var.instance_profile_name
  user_data_base64 = base64gzip(<<-EOT
    #!/bin/bash
    set -euo pipefail
    apt-get update && apt-get install -y nginx
    echo "hello from ${var.name_prefix}" >/var/www/html/index.html
  EOT
  )
}
