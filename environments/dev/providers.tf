# The provider of every environment; prod links to this file.

provider "aws" {
  region = var.region

  # On every resource that takes tags; the sweeper finds leftovers by run_id.
  default_tags {
    tags = merge(var.tags, {
      Project     = var.project
      Environment = local.environment
      run_id      = var.run_id
      ManagedBy   = "terraform"
    })
  }
}
