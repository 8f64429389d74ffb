"""kill -9 during training and during attributions, rerun, and get exactly the uninterrupted result."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

ROWS = "SELECT task, model, method, method_options, metric, sample, value, error FROM rows ORDER BY 1, 2, 3, 4, 5, 6"


def _run_and_kill_at(argv: tuple[str, ...], out: Path, marker: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "specxai_bench", *argv, "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=600)
    assert proc.returncode == -signal.SIGKILL, f"run ended before {marker!r}: {''.join(seen)[-1500:]}"


def _rows(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "results.sqlite") as db:
        return db.execute(ROWS).fetchall()


def _table(stdout: str) -> list[str]:
    return [ln for ln in stdout.splitlines() if not ln.startswith(("seconds per sample", "rows:", "stage times"))]


def test_killed_twice_then_resumed_equals_an_uninterrupted_run(smoke_run, run_cli, tmp_path):
    ref_out, ref_stdout = smoke_run.output, smoke_run.result.stdout  # the same command, never interrupted
    out = tmp_path / "killed"

    _run_and_kill_at(smoke_run.argv, out, "[vowel5] epoch 1:")  # in the middle of training
    assert list((out / "checkpoints").glob("*.resume.pt"))
    _run_and_kill_at(smoke_run.argv, out, "[vowel5-4k] best epoch")  # vowel5's attributions committed, later not
    resumed_log_rows = _rows(out)
    assert resumed_log_rows and len(resumed_log_rows) < len(_rows(ref_out))

    res = run_cli(*smoke_run.argv, "--output", out)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "loaded model" in res.stderr  # finished stages are not redone
    rows = _rows(out)
    assert rows == _rows(ref_out)  # same keys, same values, no duplicate (primary key)
    assert _table(res.stdout) == _table(ref_stdout)
