variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"filestore-dev-manual\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,47}$", var.name_prefix))
    error_message = "name_prefix must be 2-48 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the security groups belong to."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like \"vpc-0123456789abcdef0\"."
  }
}

variable "operator_cidr" {
  description = "The only source allowed to reach the web server on SSH (TCP 22): an IPv4 or IPv6 CIDR in canonical form, e.g. \"203.0.113.7/32\". The whole internet (a /0) is refused."
  type        = string
  nullable    = false

  validation {
    condition     = can(cidrhost(var.operator_cidr, 0)) && try(cidrsubnet(var.operator_cidr, 0, 0) == var.operator_cidr, false)
    error_message = "operator_cidr must be a valid IPv4 or IPv6 CIDR block in canonical form (host bits zero), e.g. \"203.0.113.7/32\"."
  }

  validation {
    condition     = !contains(["0.0.0.0/0", "::/0"], var.operator_cidr) && try(tonumber(split("/", var.operator_cidr)[1]) > 0, false)
    error_message = "operator_cidr must not open SSH to the whole internet (0.0.0.0/0 or ::/0)."
  }
}

variable "http_port" {
  description = "TCP port the web server listens on, open to the world."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.http_port >= 1 && var.http_port <= 65535 && floor(var.http_port) == var.http_port
    error_message = "http_port must be an integer between 1 and 65535."
  }
}

variable "allow_http_ipv6" {
  description = "Also open the web port to ::/0 (only useful when the VPC has IPv6)."
  type        = bool
  default     = false
  nullable    = false
}

variable "db_port" {
  description = "TCP port of the database (MySQL: 3306)."
  type        = number
  default     = 3306
  nullable    = false

  validation {
    condition     = var.db_port >= 1150 && var.db_port <= 65535 && floor(var.db_port) == var.db_port
    error_message = "db_port must be an integer between 1150 and 65535 (the range RDS accepts)."
  }
}

variable "allow_http_egress" {
  description = "Let the web server reach TCP 80 on the internet (Ubuntu's package mirrors are plain HTTP). HTTPS (443) out is always allowed."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource of the module (merged with a Name tag)."
  type        = map(string)
  default     = {}
  nullable    = false
}
