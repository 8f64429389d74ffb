"""The command printed on a board reproduces its rows exactly (smoke profile, end to end), and the
manifest records which test samples were drawn and how."""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
import subprocess
import sys

import pandas as pd

from specxai_bench.results.aggregate import BoardConfig
from specxai_bench.results.board import build_board
from specxai_bench.results.render import markdown_task

ARGS = ["--profile", "smoke", "--tasks", "voicing", "--methods", "cam,input_energy",
        "--metrics", "f0_band_mass,model_randomisation@upto=fc", "--max-samples", "2", "--no-progress"]


def run(*argv: str) -> None:
    res = subprocess.run([sys.executable, "-m", "specxai_bench", "run", *argv], capture_output=True, text=True,
                         timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]


def rows(folder) -> pd.DataFrame:
    with sqlite3.connect(folder / "results.sqlite") as db:
        return pd.read_sql_query("SELECT * FROM rows ORDER BY task, model, target_mode, method, method_options, "
                                 "metric, sample", db)


def test_the_boards_printed_command_reproduces_its_rows(tmp_path):
    first = tmp_path / "a"
    run(*ARGS, "--output", str(first))
    board = build_board([first / "results.sqlite"], BoardConfig(n_resamples=200))
    page = markdown_task(board, "voicing")
    (command,) = re.findall(r"`(specxai-bench run [^`]*)`", page)
    assert "--max-samples 2" in command and "model_randomisation@upto=fc" in command and "--output" not in command
    assert re.search(r"voicing: 4 samples, [23] speakers, 4 labels \(2 per class, round-robin\)", page)  # the draw
    again = tmp_path / "b"
    run(*shlex.split(command)[2:], "--output", str(again), "--no-progress")
    a, b = rows(first), rows(again)
    # cam, input_energy and random (the reading baselines every run adds) x 2 metrics x 2 classes x 2 samples
    assert len(a) == 3 * 2 * 2 * 2 and a.equals(b)
    draw = json.loads((first / "manifest.json").read_text())["samples"]["voicing"]
    assert sorted(draw["ids"]) == sorted(set(a["sample"])) and draw["per_class"] == 2 and draw["seed"] == 0
    assert draw["rule"].startswith("round-robin")
