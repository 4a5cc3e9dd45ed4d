# tflint (`make lint`) over every module (with its examples) and environment: the
# Terraform language rules of the "all" preset and the AWS ruleset, both built
# offline by `make toolchain` (the ruleset from TFLINT_PLUGIN_DIR).
config {
  call_module_type = "local" # follow environments -> modules/stack -> modules/*
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

plugin "aws" {
  enabled = true
}

# Every taggable resource has a Name (merged into the caller's tags; the environments
# add Project, Environment, run_id and ManagedBy through the provider's default_tags).
rule "aws_resource_missing_tags" {
  enabled = true
  tags    = ["Name"]
  exclude = ["aws_s3_object"] # one per file of the app: the caller's tags only
}
