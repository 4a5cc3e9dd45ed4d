# Two security groups with every rule stated as its own resource:
#   web: HTTP from anywhere, SSH from the operator only; out to HTTPS/HTTP and to the database.
#   db:  MySQL from the web group only; no egress at all (security groups are stateful,
#        so replies to the web server need no egress rule).
# An aws_security_group without egress blocks loses AWS's default allow-all egress rule.

locals {
  operator_is_ipv6 = strcontains(var.operator_cidr, ":")
}

resource "aws_security_group" "web" {
  name        = "${var.name_prefix}-web"
  description = "Web server of ${var.name_prefix}: HTTP from anywhere, SSH from the operator"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-web" })
}

resource "aws_security_group" "db" {
  name        = "${var.name_prefix}-db"
  description = "Database of ${var.name_prefix}: MySQL from the web server only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-db" })
}

# ------------------------------------------------------------------ web: in

resource "aws_vpc_security_group_ingress_rule" "web_http_ipv4" {
  security_group_id = aws_security_group.web.id
  description       = "HTTP from anywhere (IPv4)"
  ip_protocol       = "tcp"
  from_port         = var.http_port
  to_port           = var.http_port
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${var.name_prefix}-web-http-ipv4" })
}

resource "aws_vpc_security_group_ingress_rule" "web_http_ipv6" {
  count = var.allow_http_ipv6 ? 1 : 0

  security_group_id = aws_security_group.web.id
  description       = "HTTP from anywhere (IPv6)"
  ip_protocol       = "tcp"
  from_port         = var.http_port
  to_port           = var.http_port
  cidr_ipv6         = "::/0"

  tags = merge(var.tags, { Name = "${var.name_prefix}-web-http-ipv6" })
}

resource "aws_vpc_security_group_ingress_rule" "web_ssh" {
  security_group_id = aws_security_group.web.id
  description       = "SSH from the operator only"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = local.operator_is_ipv6 ? null : var.operator_cidr
  cidr_ipv6         = local.operator_is_ipv6 ? var.operator_cidr : null

  tags = merge(var.tags, { Name = "${var.name_prefix}-web-ssh" })
}

# ----------------------------------------------------------------- web: out

resource "aws_vpc_security_group_egress_rule" "web_https" {
  security_group_id = aws_security_group.web.id
  description       = "HTTPS to the internet (AWS APIs, PyPI, CloudWatch agent download)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${var.name_prefix}-web-out-https" })
}

resource "aws_vpc_security_group_egress_rule" "web_http" {
  count = var.allow_http_egress ? 1 : 0

  security_group_id = aws_security_group.web.id
  description       = "HTTP to the internet (Ubuntu package mirrors)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${var.name_prefix}-web-out-http" })
}

resource "aws_vpc_security_group_egress_rule" "web_to_db" {
  security_group_id            = aws_security_group.web.id
  description                  = "MySQL to the database security group"
  ip_protocol                  = "tcp"
  from_port                    = var.db_port
  to_port                      = var.db_port
  referenced_security_group_id = aws_security_group.db.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-web-out-db" })
}

# ------------------------------------------------------------------- db: in

resource "aws_vpc_security_group_ingress_rule" "db_from_web" {
  security_group_id            = aws_security_group.db.id
  description                  = "MySQL from the web server security group only"
  ip_protocol                  = "tcp"
  from_port                    = var.db_port
  to_port                      = var.db_port
  referenced_security_group_id = aws_security_group.web.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-db-in-web" })
}
