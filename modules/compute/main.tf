# The web server: an instance in the public subnet (whose map_public_ip_on_launch
# gives it its public address) with IMDSv2 required (hop limit 1), an encrypted gp3
# root volume and the instance profile for AWS credentials; by default Ubuntu 24.04
# LTS from Canonical. What it runs comes in as user_data (modules/release renders
# the app's); a new user_data replaces the instance.

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

locals {
  ami_id    = var.ami_id != null ? var.ami_id : data.aws_ami.ubuntu[0].id
  burstable = can(regex("^t[0-9][a-z]*\\.", var.instance_type))
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

  user_data_base64            = var.user_data_base64
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
}
