"""harness.host: the one tail of a log and the one program lookup (PATH plus sbin)."""

from __future__ import annotations

from harness.host import find_program, last_lines, tail


def test_tail_gives_the_last_lines_and_nothing_for_a_missing_file(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(50)))
    assert tail(log, 2) == "line 48\nline 49"
    assert tail(tmp_path / "absent.log") == "" and tail(None) == ""
    assert last_lines("a\nb\nc", 5) == "a\nb\nc"


def test_find_program_looks_in_the_system_dirs_even_off_path(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    found = find_program("definitely-not-a-program", "sh")
    assert found is not None and found.endswith("/sh")  # the first name that exists
    assert find_program("definitely-not-a-program") is None
