terraform {
  # The modules it calls declare the providers they use (aws, random).
  required_version = ">= 1.5.0"
}
