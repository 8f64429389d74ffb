"""Progress bars only on a terminal; `-q` silences bars and status lines."""

from __future__ import annotations

import io
import sys

from specxai_bench.runtime import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_only_on_a_terminal(monkeypatch) -> None:
    monkeypatch.setenv("SPECXAI_PROGRESS", "1")
    items = [1, 2, 3]
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a log file or a pipe: no bar, no carriage returns
    assert not progress.progress_enabled()
    assert progress.progress_bar(items, desc="x") is items
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert progress.progress_enabled()
    assert list(progress.progress_bar(items, desc="x")) == items
    assert "\r" in term.getvalue()  # a real tqdm bar was drawn
    monkeypatch.setenv("SPECXAI_PROGRESS", "0")
    assert not progress.progress_enabled()


def test_quiet_silences_bars_and_status_lines(monkeypatch, capsys) -> None:
    monkeypatch.setenv("SPECXAI_PROGRESS", "1")
    monkeypatch.setattr(sys, "stderr", Terminal())
    with progress.quiet():
        assert not progress.progress_enabled()
        progress.status("hidden")
    assert progress.progress_enabled()  # only inside the block
    monkeypatch.undo()
    progress.status("shown")
    assert capsys.readouterr().err == "shown\n"
