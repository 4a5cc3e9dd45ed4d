"""This host's files and programs: the last lines of a log, a program on PATH or in sbin."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# where Debian puts daemons (sshd, mariadbd, nft): not on a normal user's PATH
SYSTEM_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def last_lines(text: str, n: int = 20) -> str:
    return "\n".join(text.splitlines()[-n:])


def tail(path: Path | str | None, n: int = 20) -> str:
    """The last ``n`` lines of a file; "" when there is no file (a log not written yet)."""
    try:
        return last_lines(Path(path).read_text(errors="replace"), n) if path else ""
    except OSError:
        return ""


def find_program(*names: str) -> str | None:
    """The first of ``names`` found on PATH or in the system's sbin/bin directories."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *SYSTEM_DIRS])
    for name in names:
        if found := shutil.which(name, path=search):
            return found
    return None
