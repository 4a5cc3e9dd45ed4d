# The toolchain proof: a small configuration that exercises the provider against the
# emulator (init, plan, apply, outputs, destroy) without the rest of the stack.
terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

variable "run_id" {
  description = "Unique id of the test run, in names and tags."
  type        = string
}

provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = {
      Project = "filestore"
      run_id  = var.run_id
    }
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "this" {
  cidr_block = "10.42.0.0/16"
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

resource "aws_security_group" "db" {
  name        = "filestore-proof-${var.run_id}-db"
  description = "proof database group"
  vpc_id      = aws_vpc.this.id
}

resource "aws_s3_bucket" "this" {
  bucket        = "filestore-proof-${var.run_id}"
  force_destroy = true
}

resource "aws_db_subnet_group" "this" {
  name       = "filestore-proof-${var.run_id}"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_instance" "this" {
  identifier             = "filestore-proof-${var.run_id}"
  engine                 = "mysql"
  engine_version         = "8.0"
  instance_class         = "db.t3.micro"
  allocated_storage      = 20
  username               = "proof"
  password               = "proof-password-not-secret"
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  storage_encrypted      = true
  skip_final_snapshot    = true
}

output "vpc_id" {
  description = "VPC id."
  value       = aws_vpc.this.id
}

output "bucket" {
  description = "Bucket name."
  value       = aws_s3_bucket.this.bucket
}

output "db_identifier" {
  description = "RDS instance identifier."
  value       = aws_db_instance.this.identifier
}

output "subnet_ids" {
  description = "Private subnet ids."
  value       = aws_subnet.private[*].id
}
