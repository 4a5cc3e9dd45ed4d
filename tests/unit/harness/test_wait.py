"""harness.wait: the one bounded wait every loop of the harness uses."""

from __future__ import annotations

import time

import pytest

from harness.wait import Deadline, wait_for


def test_returns_the_first_truthy_answer() -> None:
    answers = iter([None, 0, "", {"status": "ok"}])
    assert wait_for(lambda: next(answers), timeout=5, interval=0.01) == {"status": "ok"}


def test_times_out_naming_what_it_waited_for() -> None:
    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match="the moon"):
        wait_for(lambda: False, timeout=0.3, interval=0.05, what="the moon")
    assert 0.3 <= time.monotonic() - t0 < 2


def test_a_dead_thing_stops_the_wait_at_once() -> None:
    with pytest.raises(RuntimeError, match="server: exited with 1"):
        wait_for(lambda: False, timeout=30, what="server", alive=lambda: "exited with 1")


def test_backoff_grows_the_pause_up_to_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    calls = iter(range(6))
    wait_for(lambda: next(calls) == 5, timeout=60, interval=1, backoff=2, max_interval=5)
    assert pauses == [1, 2, 4, 5, 5]


def test_never_sleeps_past_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    calls = iter(range(3))
    wait_for(lambda: next(calls) == 2, timeout=1, interval=30)
    assert all(p <= 1 for p in pauses)


def test_deadline_counts_down() -> None:
    d = Deadline(0.2)
    assert 0 < d.left() <= 0.2 and not d.passed()
    time.sleep(0.25)
    assert d.left() == 0 and d.passed()
