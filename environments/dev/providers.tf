provider "aws" {
  region = var.region

  # On every resource that takes tags; the sweeper finds leftovers by run_id.
  default_tags {
    tags = local.common_tags
  }
}
