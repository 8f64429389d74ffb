"""kill -9 during training and during attributions, rerun, and get exactly the uninterrupted result."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

ROWS = "SELECT task, model, method, method_options, metric, sample, value, error FROM rows ORDER BY 1, 2, 3, 4, 5, 6"


def _cmd(out: Path) -> list[str]:
    return [sys.executable, "-m", "specxai_bench", "run", "--profile", "smoke", "--methods", "cam,gradcam",
            "--output", str(out), "--no-progress", "--batch-size", "4"]


def _run_and_kill_at(out: Path, marker: str) -> None:
    proc = subprocess.Popen(_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=600)
    assert proc.returncode == -signal.SIGKILL, f"run ended before {marker!r}: {''.join(seen)[-1500:]}"


def _finish(out: Path) -> tuple[str, str]:
    res = subprocess.run(_cmd(out), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout, res.stderr


def _rows(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "results.sqlite") as db:
        return db.execute(ROWS).fetchall()


def _table(stdout: str) -> list[str]:
    return [ln for ln in stdout.splitlines() if not ln.startswith(("seconds per sample", "rows:", "stage times"))]


def test_killed_twice_then_resumed_equals_an_uninterrupted_run(tmp_path):
    ref_out, out = tmp_path / "ref", tmp_path / "killed"
    ref_stdout, _ = _finish(ref_out)

    _run_and_kill_at(out, "[vowel5] epoch 1:")  # in the middle of training
    assert list((out / "checkpoints").glob("*.resume.pt"))
    _run_and_kill_at(out, "[vowel5-4k] best epoch")  # vowel5's attributions committed, later ones not
    resumed_log_rows = _rows(out)
    assert resumed_log_rows and len(resumed_log_rows) < len(_rows(ref_out))

    stdout, stderr = _finish(out)
    assert "loaded model" in stderr  # finished stages are not redone
    rows = _rows(out)
    assert rows == _rows(ref_out)  # same keys, same values, no duplicate (primary key)
    assert _table(stdout) == _table(ref_stdout)
