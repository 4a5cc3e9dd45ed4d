# The CLI and providers of every environment; prod links to this file.

terraform {
  # Terraform >= 1.5 or OpenTofu >= 1.6.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    # tflint-ignore: terraform_unused_required_providers # pinned here for modules/database
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Partial configuration: `init -backend-config=backend.hcl` (see backend.hcl.example).
  backend "s3" {}
}
