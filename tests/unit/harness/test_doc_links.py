"""The README and docs/ link only to files in the repository (a user's clone has nothing
beside it), and every link they give resolves."""

from __future__ import annotations

import re

import pytest

from harness.paths import REPO_ROOT

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_links_stay_in_the_repository_and_resolve(doc):
    for target in LINK.findall(doc.read_text()):
        path = target.split("#", 1)[0]
        assert "://" not in target, f"{doc.name} links outside the repository: {target}"
        if not path:
            continue
        resolved = (doc.parent / path).resolve()
        assert resolved.is_relative_to(REPO_ROOT), f"{doc.name} links outside: {target}"
        assert resolved.exists(), f"{doc.name} links to a missing file: {target}"
