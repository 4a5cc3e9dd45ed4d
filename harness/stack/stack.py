"""Stack lifecycle: copy a root module, point it at a target, apply, read outputs, destroy.

The root (an environment, with ``modules/`` and ``app/`` beside it in the same relative
layout, or any directory such as the toolchain proof) is copied into a working
directory, so the repository's own files are never touched. What differs between the
emulator and AWS comes in one :class:`~harness.stack.targets.Target` (the CLI's
environment, the init arguments, the override file that points the aws provider at the
moto server the way ``tflocal`` does): the stack itself names no target.

Every stage has a time bound (``STAGE_BOUNDS``, overridable per stack or through
``FILESTORE_STAGE_BOUNDS=apply=900,destroy=900``): past it the CLI gets one SIGINT and a
grace period, the error names the resources it was still waiting on, and the state stays.

:meth:`Stack.lifecycle` registers teardown *before* apply: it runs on success, on
failure, on an error half-way through apply and on Ctrl-C/SIGTERM. Teardown is destroy,
then a sweep of whatever still carries the run id (an interrupted apply can create what
never reached the state); when destroy fails its state is kept, the sweep still runs,
and the destroy error is raised afterwards.

We drive the CLI ourselves rather than through tftest: tftest has no time bounds, no
interrupt handling (SIGINT, grace, state kept) and no retry by error pattern, which are
exactly what a lifecycle needs; it stays a fine tool for plain plan/apply assertions.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.log import logger
from harness.paths import APP_DIR, ENVIRONMENTS_DIR, MODULES_DIR, REPO_ROOT, WORKING_COPY_IGNORE
from harness.proc import StageTimeout, tf_success_codes
from harness.runid import new_run_id
from harness.stack.override import OVERRIDE_FILE
from harness.stack.targets import Target
from harness.toolchain.locate import Toolchain, get_toolchain

# Only these are retried, by pattern: anything else is a real failure.
TRANSIENT_ERRORS = (
    r"RequestLimitExceeded",
    r"Throttling(Exception)?",
    r"connection reset by peer",
    r"TLS handshake timeout",
    r"i/o timeout",
    r"ServiceUnavailable",
    r"InternalError: We encountered an internal error",
    r"Error acquiring the state lock",
)

# Seconds each CLI stage may take before it is stopped (RDS alone takes ~80 s on the
# emulator and up to ~15 min on AWS for a Multi-AZ create).
STAGE_BOUNDS = {
    "init": 300.0,
    "apply": 2400.0,
    "plan": 600.0,
    "destroy": 2400.0,
    "output": 120.0,
    "show": 120.0,
}
KEPT_STATE_DIR = REPO_ROOT / "reports" / "kept-state"
VARS_FILE = "zz_harness.auto.tfvars.json"


def stage_bounds(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """``STAGE_BOUNDS`` with ``FILESTORE_STAGE_BOUNDS`` (``apply=900,destroy=900``) and
    ``overrides`` applied; a malformed setting is an error, not a silent default."""
    bounds = dict(STAGE_BOUNDS)
    for item in filter(None, os.environ.get("FILESTORE_STAGE_BOUNDS", "").split(",")):
        name, _, value = item.partition("=")
        if name.strip() not in bounds or not re.fullmatch(r"\d+(\.\d+)?", value.strip()):
            raise ValueError(
                f"FILESTORE_STAGE_BOUNDS: {item!r} is not <stage>=<seconds> "
                f"with a stage among {', '.join(bounds)}"
            )
        bounds[name.strip()] = float(value)
    bounds.update(overrides or {})
    return bounds


log = logger("stack")


@dataclass
class StageTimer:
    timings: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def stage(self, name: str, run_id: str) -> Iterator[None]:
        t0 = time.monotonic()
        log.info(f"{run_id}: {name} ...")
        ok = False
        try:
            yield
            ok = True
        finally:
            dt = time.monotonic() - t0
            self.timings[name] = self.timings.get(name, 0.0) + dt
            log.info(f"{run_id}: {name} {'done' if ok else 'FAILED'} in {dt:.1f}s")


class StackError(RuntimeError):
    pass


@dataclass
class Stack:
    """One deployment of a root module on a :class:`Target`."""

    target: Target
    environment: str = "dev"
    run_id: str = field(default_factory=new_run_id)
    tf_vars: dict = field(default_factory=dict)
    workdir: Path | None = None
    toolchain: Toolchain | None = None
    source: Path | None = None  # a root module of its own (default: environments/<environment>)
    bounds: dict[str, float] = field(default_factory=dict)
    grace: float = 120.0  # after a bound or Ctrl-C: seconds for the CLI to write its state
    retries: int = 2
    timer: StageTimer = field(default_factory=StageTimer)
    _outputs: dict | None = None
    applied: bool = False
    apply_finished: bool = False
    destroyed: bool = False
    swept: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.target, Target):
            raise TypeError(f"target must be a Target (harness.stack.targets), not {self.target!r}")
        self.bounds = stage_bounds(self.bounds)
        self.toolchain = self.toolchain or get_toolchain()
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix=f"stack-{self.run_id}-"))
        self.tfdir = self.workdir / (
            self.source.name if self.source else Path("environments") / self.environment
        )
        self.state_path = self.tfdir / "terraform.tfstate"

    # ------------------------------------------------------------------ prepare
    def prepare(self) -> Stack:
        """Copy the root (with modules/ and app/ beside an environment); write the override."""
        src = self.source or ENVIRONMENTS_DIR / self.environment
        if not src.is_dir():
            raise StackError(f"no such root module: {src}")
        ignore = shutil.ignore_patterns(*WORKING_COPY_IGNORE)
        if self.source is None:
            shutil.copytree(
                MODULES_DIR, self.workdir / "modules", ignore=ignore, dirs_exist_ok=True
            )
            shutil.copytree(APP_DIR, self.workdir / "app", ignore=ignore, dirs_exist_ok=True)
        shutil.copytree(src, self.tfdir, ignore=ignore, dirs_exist_ok=True)
        if self.target.override is not None:
            (self.tfdir / OVERRIDE_FILE).write_text(self.target.override(self.state_path))
        # the inputs live in the working copy, so that every later command there (a destroy
        # by `make down`, or by hand from kept state) has the same ones
        (self.tfdir / VARS_FILE).write_text(json.dumps(self.variables(), indent=1) + "\n")
        return self

    def variables(self) -> dict:
        return {"run_id": self.run_id, **self.tf_vars}

    def env(self) -> dict[str, str]:
        return {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", **self.target.env()}

    # ------------------------------------------------------------------ commands
    def tf(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run the CLI in the working copy, bounded by its stage's time, retrying known
        transient errors only."""
        assert self.toolchain is not None
        timeout = self.bounds.get(args[0], self.bounds["plan"])
        for attempt in range(1, self.retries + 2):
            proc = self.toolchain.run(
                *args,
                "-no-color",
                cwd=self.tfdir,
                env=self.env(),
                check=False,
                timeout=timeout,
                grace=self.grace,
            )
            text = proc.stdout + proc.stderr
            if proc.returncode in tf_success_codes(args) or not check:
                return proc
            transient = next((p for p in TRANSIENT_ERRORS if re.search(p, text)), None)
            if not transient or attempt > self.retries:
                break
            log.info(f"{self.run_id}: transient error /{transient}/, retry {attempt}")
            time.sleep(2 * attempt)
        raise StackError(
            f"`{self.toolchain.kind} {' '.join(args)}` failed (exit {proc.returncode}) "
            f"in {self.tfdir}:\n{text[-6000:]}"
        )

    def init(self) -> None:
        with self.timer.stage("init", self.run_id):
            self.tf("init", "-input=false", *self.target.init_args)

    def apply(self, planfile: Path | None = None) -> None:
        """Apply; with ``planfile``, exactly that saved plan (e.g. the one the gate scanned)."""
        with self.timer.stage("apply", self.run_id):
            self.applied = True  # from here on, something may exist: destroy must run
            self.tf(
                "apply", "-input=false", "-auto-approve", *([str(planfile)] if planfile else [])
            )
            self.apply_finished = True
            self._outputs = None

    def plan_exitcode(self) -> tuple[int, str]:
        """``plan -detailed-exitcode``: 0 no changes, 2 changes (returned, not raised)."""
        with self.timer.stage("plan", self.run_id):
            proc = self.tf("plan", "-input=false", "-detailed-exitcode")
            return proc.returncode, proc.stdout

    def plan_json(self, planfile: Path | None = None) -> dict:
        """``plan -out`` then ``show -json``: the plan as the gate's plan scan reads it."""
        with self.timer.stage("plan", self.run_id):
            planfile = planfile or self.workdir / "plan.bin"
            self.tf("plan", "-input=false", f"-out={planfile}")
            return json.loads(self.tf("show", "-json", str(planfile)).stdout)

    def outputs(self) -> dict:
        if self._outputs is None:
            raw = json.loads(self.tf("output", "-json").stdout or "{}")
            self._outputs = {k: v["value"] for k, v in raw.items()}
        return self._outputs

    def state_resources(self) -> list[dict]:
        values = json.loads(self.tf("show", "-json").stdout or "{}").get("values") or {}
        found: list[dict] = []

        def walk(module: dict) -> None:
            found.extend(module.get("resources", []))
            for child in module.get("child_modules", []):
                walk(child)

        walk(values.get("root_module") or {})
        return found

    def destroy(self) -> None:
        """Destroy, then sweep what still carries the run id; on a failed destroy the
        state is kept and the sweep still runs before the error is raised."""
        if self.destroyed:
            return
        if self.applied and not self.apply_finished:
            self.sweep_orphans()
        error: BaseException | None = None
        with (
            contextlib.suppress(StackError, StageTimeout),
            self.timer.stage("destroy", self.run_id),
        ):
            try:
                self.tf("destroy", "-input=false", "-auto-approve")
            except (StackError, StageTimeout) as exc:
                error = exc
                log.info(
                    f"{self.run_id}: DESTROY FAILED ({exc}); state kept at {self.keep_state()}"
                )
                raise
        self.destroyed = error is None
        self.swept = self.sweep_leftovers()
        if error is not None:
            raise error

    def inventory(self):
        return self.target.inventory()

    def sweep_orphans(self) -> list:
        """Before destroying what an interrupted apply left: delete what carries the run id
        but is not in the state. Such an orphan (a route table whose id never reached the
        state) can block destroy itself: the VPC it sits in cannot go while it is there,
        and destroy would retry DeleteVpc until its bound."""
        with self.timer.stage("orphans", self.run_id):
            try:
                known = _state_ids(self.state_resources())
            except (StackError, StageTimeout) as exc:  # no readable state: leave it to destroy
                log.info(f"{self.run_id}: state unreadable, no orphan sweep: {exc}")
                return []
            orphans = [f for f in self.inventory().by_run_id(self.run_id) if f.ident not in known]
            for item in orphans:
                log.info(f"{self.run_id}: deleting orphan of the interrupted apply: {item}")
                try:
                    item.delete()
                except Exception as exc:  # noqa: BLE001 - the sweep after destroy retries it
                    log.info(f"{self.run_id}: could not delete {item} yet: {exc}")
        return orphans

    def sweep_leftovers(self) -> list:
        """Delete what carries this run's id but is not in the state any more.

        An interrupted apply can create a resource whose id never reached the state (the
        provider's call was cancelled after AWS acted): destroy cannot know it, the tag can.
        """
        with self.timer.stage("sweep", self.run_id):
            left = self.inventory().by_run_id(self.run_id)
            for item in left:
                log.info(f"{self.run_id}: deleting leftover not in state: {item}")
                item.delete()
        return left

    def keep_state(self) -> Path:
        dest = KEPT_STATE_DIR / self.run_id
        dest.mkdir(parents=True, exist_ok=True)
        for path in self.tfdir.glob("terraform.tfstate*"):
            shutil.copy2(path, dest / path.name)
        binary = self.toolchain.binary if self.toolchain else "tofu"
        (dest / "README.txt").write_text(
            f"Destroy failed for run {self.run_id} ({self.target.name}).\n"
            f"Working copy: {self.tfdir}\nRetry: cd {self.tfdir} && {binary} destroy\n"
        )
        return dest

    def cleanup(self) -> None:
        if self.workdir and (self.destroyed or not self.applied):
            shutil.rmtree(self.workdir, ignore_errors=True)

    # ------------------------------------------------------------------ lifecycle
    @contextlib.contextmanager
    def lifecycle(
        self, *, keep: bool = False, before_apply: Callable[[Stack], Path] | None = None
    ) -> Iterator[Stack]:
        """prepare -> init -> apply -> yield -> destroy + sweep, teardown registered first.

        ``before_apply`` may return a saved plan to apply instead (the plan the gate
        scanned). ``keep=True`` (or ``KEEP_STACK=1``) skips destroy, for debugging.
        """
        keep = keep or os.environ.get("KEEP_STACK") == "1"
        self.prepare()
        with sigterm_as_interrupt():
            try:
                self.init()
                self.apply(before_apply(self) if before_apply else None)
                yield self
            finally:
                if keep and self.applied:
                    log.info(f"{self.run_id}: KEEP_STACK set; not destroying {self.tfdir}")
                else:
                    try:
                        if self.applied:
                            self.destroy()
                    finally:
                        self.cleanup()


def _state_ids(resources: list[dict]) -> set[str]:
    """Every identifier a state holds for its resources (ids, ARNs, names)."""
    keys = ("id", "arn", "name", "identifier", "bucket")
    return {str(r["values"][k]) for r in resources for k in keys if (r.get("values") or {}).get(k)}


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so ``finally`` blocks (destroy) run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
