"""Child processes with bounds: every command of ours ends, cleanly when it can.

``run_bounded`` runs a command to completion or until its time bound; past the bound (or
on Ctrl-C/SIGTERM turned into KeyboardInterrupt) the command gets one SIGINT and a grace
period to stop cleanly (Terraform/OpenTofu write their state on SIGINT), then SIGKILL for
its whole process group. ``pending_resources`` reads a Terraform log for what it was
still waiting on, so a timeout says which resource hung.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from harness.host import tail
from harness.wait import Deadline, wait_for


class StageTimeout(RuntimeError):
    """A command passed its time bound and was stopped."""

    def __init__(self, cmd: list[str], timeout: float, stdout: str, stderr: str) -> None:
        self.cmd, self.timeout, self.stdout, self.stderr = cmd, timeout, stdout, stderr
        pending = pending_resources(stdout + stderr)
        waiting = f"; still waiting on: {', '.join(pending)}" if pending else ""
        super().__init__(
            f"`{' '.join(cmd[:2])}` stopped after its bound of {timeout:.0f}s{waiting}"
        )


def tf_success_codes(args: tuple[str, ...]) -> tuple[int, ...]:
    """Exit 2 means "changes present" for ``plan -detailed-exitcode`` only; from any other
    command (and a plain plan) it is an error, e.g. a usage error."""
    detailed = args[:1] == ("plan",) and "-detailed-exitcode" in args
    return (0, 2) if detailed else (0,)


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL after ``timeout`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


def kill_group(pid: int | str | None, grace: float = 5.0) -> None:
    """Stop a process group we only know by its leader's pid (e.g. from a state file)."""
    if not pid:
        return

    def gone() -> bool:
        try:
            os.killpg(int(pid), 0)
        except ProcessLookupError:
            return True
        return False

    with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
        os.killpg(int(pid), signal.SIGTERM)
        try:
            wait_for(gone, timeout=grace, what=f"process group {pid}")
        except TimeoutError:
            os.killpg(int(pid), signal.SIGKILL)


class ChildService:
    """A server started as a child process in a session of its own, and always stopped.

    The class that mixes it in has ``_proc`` (the ``Popen``), ``log_path`` (where the child
    writes) and ``start()``; this gives it the rest: is it alive, its pid, stop, and use as
    a context manager.
    """

    _proc: subprocess.Popen | None
    log_path: Path | None
    label = "process"
    stop_timeout = 10.0  # after SIGTERM, before SIGKILL

    def died(self) -> str | None:
        """Why the child is gone (its exit code and last log lines), or None if alive."""
        if self._proc is not None and self._proc.poll() is not None:
            return f"{self.label} exited with {self._proc.returncode}:\n{tail(self.log_path)}"
        return None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        stop_process(self._proc, timeout=self.stop_timeout)
        self._proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_bounded(
    cmd: list[str],
    *,
    timeout: float | None,
    grace: float = 120.0,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run ``cmd`` capturing its output; never longer than ``timeout`` + ``grace`` seconds.

    Past ``timeout``: one SIGINT, up to ``grace`` seconds to stop, then SIGKILL for the
    group; raises :class:`StageTimeout` carrying the output. On KeyboardInterrupt the same
    stop happens, and the interrupt is re-raised.
    """
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a terminal Ctrl-C reaches us only; we forward it once
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        out, err = _interrupt(proc, grace)
        raise StageTimeout(cmd, timeout or 0, out, err) from None
    except BaseException:
        _interrupt(proc, grace)
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _interrupt(proc: subprocess.Popen, grace: float) -> tuple[str, str]:
    """One SIGINT, then wait up to ``grace`` seconds for the command to stop by itself.

    A second Ctrl-C (or SIGTERM) meanwhile is not passed on: Terraform/OpenTofu take a
    second interrupt as "exit immediately, data loss may have occurred" and drop what they
    were writing to the state. The wait goes on, bounded by ``grace``; an impatient user
    is told why, and the command is never left running behind us.
    """
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    deadline = Deadline(grace)
    while True:
        try:
            return proc.communicate(timeout=deadline.left())
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            return proc.communicate()
        except KeyboardInterrupt:
            left = deadline.left()
            print(
                f"`{' '.join(map(str, proc.args[:2]))}` is stopping and writing its state; "
                f"waiting up to {left:.0f}s more (a second interrupt is not passed on)",
                flush=True,
            )


# Terraform/OpenTofu progress lines: "<address>: Creating...", "<address>: Creation complete
# after 2s [id=...]", "<address>: Still destroying... [id=..., 1m0s elapsed]".
_PROGRESS = re.compile(
    r"^(?P<addr>[\w.\[\]\"-]+): (?P<what>Creating|Destroying|Modifying|Reading|Still \w+)\.\.\.",
    re.M,
)
_DONE = re.compile(
    r"^(?P<addr>[\w.\[\]\"-]+): (Creation|Destruction|Modifications|Read) complete", re.M
)


def pending_resources(log: str) -> list[str]:
    """Addresses that a Terraform log started working on and never finished, in order."""
    events = [(m.start(), m["addr"], True) for m in _PROGRESS.finditer(log)]
    events += [(m.start(), m["addr"], False) for m in _DONE.finditer(log)]
    pending: dict[str, None] = {}
    for _, addr, started in sorted(events):
        if started:
            pending.setdefault(addr, None)
        else:
            pending.pop(addr, None)
    return list(pending)


def proc_start_time(pid: int) -> str | None:
    """A process's start time (clock ticks after boot), which a reused pid does not share."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def process_alive(pid: int | None, start_time: str | None) -> bool:
    """Is that process (same pid *and* start time: not a reused pid) still there?"""
    return bool(pid) and proc_start_time(pid) == start_time


def run_timed(
    cmd: list[str], *, cwd, env: dict, timeout: float, what: str, error: type[Exception]
) -> tuple[subprocess.CompletedProcess, float]:
    """A tool run to its end, its output captured: ``(completed, seconds)``; ``error(...)``
    naming ``what`` when it outlives ``timeout``."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise error(f"{what} did not finish in {timeout:.0f}s") from exc
    return proc, time.monotonic() - start
