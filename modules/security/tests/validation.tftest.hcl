# Unit tests of modules/security with a mocked AWS provider (no cloud, no credentials):
#   tofu init -backend=false && tofu test
# Driven by tests/unit/hcl/test_hcl_tofu.py. "No SSH or other port from the world" and
# "database ingress from groups only" are checkov's (CKV_AWS_24, CKV_FS_7, CKV_FS_8).

mock_provider "aws" {}

variables {
  name_prefix   = "filestore-test-unit"
  vpc_id        = "vpc-0123456789abcdef0"
  operator_cidr = "203.0.113.7/32"
}

run "accepts_one_host" {
  command = plan

  assert {
    condition     = aws_vpc_security_group_ingress_rule.web_ssh.cidr_ipv4 == "203.0.113.7/32" && aws_vpc_security_group_ingress_rule.web_ssh.cidr_ipv6 == null
    error_message = "SSH is open to the operator CIDR only."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.web_ssh.from_port == 22 && aws_vpc_security_group_ingress_rule.web_ssh.to_port == 22
    error_message = "The SSH rule opens port 22 only."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.web_http_ipv4.cidr_ipv4 == "0.0.0.0/0" && aws_vpc_security_group_ingress_rule.web_http_ipv4.from_port == 80 && aws_vpc_security_group_ingress_rule.web_http_ipv4.to_port == 80
    error_message = "HTTP 80 is open to the world."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.db_from_web.from_port == 3306 && aws_vpc_security_group_ingress_rule.db_from_web.to_port == 3306 && aws_vpc_security_group_ingress_rule.db_from_web.cidr_ipv4 == null
    error_message = "MySQL 3306 on the database, from no CIDR."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.db_from_web.referenced_security_group_id == aws_security_group.web.id && aws_vpc_security_group_ingress_rule.db_from_web.security_group_id == aws_security_group.db.id
    error_message = "The database's group admits the web server's group."
  }
}

run "the_app_and_database_ports_follow_the_variables" {
  command = plan

  variables {
    http_port = 18080
    db_port   = 33061
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.web_http_ipv4.from_port == 18080 && aws_vpc_security_group_egress_rule.web_to_db.to_port == 33061 && aws_vpc_security_group_ingress_rule.db_from_web.from_port == 33061
    error_message = "The web port and the database port are the given ones."
  }
}

run "accepts_an_ipv6_network" {
  command = plan

  variables {
    operator_cidr = "2001:db8::/64"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.web_ssh.cidr_ipv6 == "2001:db8::/64" && aws_vpc_security_group_ingress_rule.web_ssh.cidr_ipv4 == null
    error_message = "An IPv6 operator CIDR goes to cidr_ipv6."
  }
}

run "refuses_the_whole_ipv4_internet" {
  command = plan

  variables {
    operator_cidr = "0.0.0.0/0"
  }

  expect_failures = [var.operator_cidr]
}

run "refuses_the_whole_ipv6_internet" {
  command = plan

  variables {
    operator_cidr = "::/0"
  }

  expect_failures = [var.operator_cidr]
}

run "refuses_not_a_cidr" {
  command = plan

  variables {
    operator_cidr = "not-a-cidr"
  }

  expect_failures = [var.operator_cidr]
}

run "refuses_a_bare_address" {
  command = plan

  variables {
    operator_cidr = "203.0.113.7"
  }

  expect_failures = [var.operator_cidr]
}

run "refuses_host_bits" {
  command = plan

  variables {
    operator_cidr = "203.0.113.7/24"
  }

  expect_failures = [var.operator_cidr]
}

run "refuses_a_bad_vpc_id" {
  command = plan

  variables {
    vpc_id = "my-vpc"
  }

  expect_failures = [var.vpc_id]
}
