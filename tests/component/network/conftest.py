"""Real network namespaces for the network tests: an owner tag and a state dir of the test's
own (swept at the end, and checked empty), namespaces standing for instances, TCP servers
inside them and bounded client probes. Nothing is made in the host's own namespace."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from harness.network import netns
from harness.network import sweep as netsweep
from harness.network.netns import Owner
from harness.network.probe import Server

_COUNTER = itertools.count()


@pytest.fixture
def owner(tmp_path) -> Iterator[tuple[Owner, object]]:
    """(owner, state_root): a tag unique to this test; everything of it removed after, and
    the test fails if anything of it was left."""
    netns.require()
    tag = Owner(f"t{os.getpid()}x{next(_COUNTER)}")
    root = tmp_path / "netstate"
    yield tag, root
    netsweep.sweep(owner_tag=tag.tag, state_root=root)
    left = [n for n in netsweep.ours_in_netns() if n.startswith(f"{netns.PREFIX}{tag.tag}-")]
    assert not left, f"namespaces left behind: {left}"


@pytest.fixture
def make_ns(owner):
    """``make_ns(what)``: a recorded namespace standing for an instance (or a database)."""
    tag, root = owner

    def make(what: str) -> str:
        return netns.create(netns.namespace_name(tag, what), kind="test", state_root=root)

    return make


@pytest.fixture
def serve():
    """``serve(ns, address, port, banner)``: a :class:`harness.network.probe.Server`, closed
    after the test."""
    servers: list[Server] = []

    def start(ns: str | None, address: str, port: int, banner: str = "hello") -> Server:
        servers.append(Server(ns, address, port, banner))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
