"""The VPC resolver's DNS packets (no root): a query read, an A answer, NXDOMAIN."""

from __future__ import annotations

import pytest

from harness.network import resolver as dns


def test_a_query_is_read_and_answered_with_one_a_record():
    q = dns.query("MyDB.abc.us-east-1.rds.amazonaws.com.", ident=0xBEEF)
    assert dns.question(q)[:2] == ("mydb.abc.us-east-1.rds.amazonaws.com", dns.A)
    reply = dns.answer(q, "10.0.2.10")
    assert reply[:2] == b"\xbe\xef" and dns.rcode(reply) == 0
    assert dns.addresses(reply) == ["10.0.2.10"]


def test_no_address_and_nxdomain():
    q = dns.query("nowhere.example", qtype=dns.AAAA)
    assert dns.addresses(dns.answer(q, None)) == []
    assert dns.rcode(dns.answer(q, None, rcode=dns.NXDOMAIN)) == dns.NXDOMAIN


def test_what_is_not_one_plain_query_is_refused():
    with pytest.raises(ValueError):
        dns.question(b"\x00" * 12)
    bad = bytearray(dns.query("a.b"))
    bad[12] = 0xC0  # a compression pointer in a question
    with pytest.raises(ValueError):
        dns.question(bytes(bad))


def test_the_resolver_is_at_the_vpc_base_plus_two():
    assert dns.resolver_address("10.0.0.0/16") == "10.0.0.2"
