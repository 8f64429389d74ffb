"""The command printed on a board reproduces its rows exactly (smoke profile, end to end), and the
manifest records which test samples were drawn and how."""

from __future__ import annotations

import json
import re
import shlex
import sqlite3

import pandas as pd

from specxai_bench.results.aggregate import BoardConfig
from specxai_bench.results.board import build_board
from specxai_bench.results.render import markdown_task

ARGS = ["--profile", "smoke", "--tasks", "voicing", "--methods", "cam,input_energy",
        "--metrics", "f0_band_mass,model_randomisation@upto=fc", "--max-samples", "2", "--no-progress"]


def rows(folder) -> pd.DataFrame:
    with sqlite3.connect(folder / "results.sqlite") as db:
        return pd.read_sql_query("SELECT * FROM rows ORDER BY task, model, target_mode, method, method_options, "
                                 "metric, sample", db)


def test_the_boards_printed_command_reproduces_its_rows(run_cli, tmp_path):
    first = tmp_path / "a"
    assert run_cli("run", *ARGS, "--output", first).returncode == 0
    board = build_board([first / "results.sqlite"], BoardConfig(n_resamples=200))
    page = markdown_task(board, "voicing")
    (command,) = re.findall(r"`(specxai-bench run [^`]*)`", page)
    assert "--max-samples 2" in command and "model_randomisation@upto=fc" in command and "--output" not in command
    assert re.search(r"voicing: 4 samples, [23] speakers, 4 labels \(2 per class, round-robin\)", page)  # the draw
    again = tmp_path / "b"
    assert run_cli("run", *shlex.split(command)[2:], "--output", again, "--no-progress").returncode == 0
    a, b = rows(first), rows(again)
    # cam, input_energy and random (the reading baselines every run adds) x 2 metrics x 2 classes x 2 samples
    assert len(a) == 3 * 2 * 2 * 2 and a.equals(b)
    draw = json.loads((first / "manifest.json").read_text())["samples"]["voicing"]
    assert sorted(draw["ids"]) == sorted(set(a["sample"])) and draw["per_class"] == 2 and draw["seed"] == 0
    assert draw["rule"].startswith("round-robin")
