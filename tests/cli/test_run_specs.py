"""`run` end to end on the smoke profile: option specs in names, the target mode in the row key, and
the printed provenance command reproducing the run's rows."""

from __future__ import annotations

import json
import shlex
import sqlite3

import pandas as pd
import pytest

from specxai_bench.results.aggregate import BoardConfig
from specxai_bench.results.board import build_board
from specxai_bench.results.render import markdown_task

ARGS = ["--profile", "smoke", "--tasks", "vowel5-4k", "--methods", "gradcam@layer=layer3,cam,input_energy",
        "--metrics", "formant_band_lift@formants=1,formant_band_mass", "--max-samples", "2", "--no-progress"]


@pytest.fixture(scope="module")
def run(run_cli):
    def call(*argv: object):
        res = run_cli("run", *argv)
        assert res.returncode == 0, res.stderr[-2000:]
        return res
    return call


def rows(folder) -> pd.DataFrame:
    with sqlite3.connect(folder / "results.sqlite") as db:
        return pd.read_sql_query("SELECT * FROM rows ORDER BY task, model, target_mode, method, method_options, "
                                 "metric, sample", db)


@pytest.fixture(scope="module")
def first(run, tmp_path_factory):
    out = tmp_path_factory.mktemp("specs") / "a"
    return out, run(*ARGS, "--output", str(out))


def test_options_in_names_reach_the_rows(first):
    out, res = first
    r = rows(out)
    assert {"gradcam", "cam", "input_energy", "random"} == set(r["method"])  # random: a default baseline
    assert set(r.loc[r["method"] == "gradcam", "method_options"]) == {'{"layer": "layer3"}'}
    assert set(r.loc[r["method"] == "cam", "method_options"]) == {'{"layer": "layer4"}'}
    assert set(r["metric"]) == {"formant_band_lift@F1,w100hz,10pct", "formant_band_mass@F123,w100hz,10pct"}
    assert "formant_band_lift@F1,w100hz,10pct" in res.stdout and "| gradcam |" in res.stdout


def test_the_printed_command_reproduces_the_rows(first, run, tmp_path):
    out, _ = first
    manifest = json.loads((out / "manifest.json").read_text())
    command = manifest["command"]
    assert "--max-samples 2" in command and "gradcam@layer=layer3" in command and "--output" not in command
    again = tmp_path / "b"
    run(*shlex.split(command)[2:], "--output", str(again), "--no-progress")
    assert rows(again).equals(rows(out))


def test_predicted_targets_are_new_rows_kept_apart_on_the_board(first, run):
    out, _ = first
    before = rows(out)
    res = run(*ARGS, "--output", str(out), "--target", "predicted")
    after = rows(out)
    assert set(after["target_mode"]) == {"true", "predicted"}
    predicted = after[after["target_mode"] == "predicted"]
    assert len(predicted) == len(before)  # every sample computed again for the predicted class, none skipped
    assert after[after["target_mode"] == "true"].reset_index(drop=True).equals(before)  # true rows untouched
    assert "| gradcam |" in res.stdout and "[predicted class]" not in res.stdout  # the run shows its own mode
    board = build_board([out / "results.sqlite"], BoardConfig(n_resamples=200))
    modes = {(e.method, e.target_mode) for e in board.entries("vowel5-4k", board.models("vowel5-4k")[0])}
    assert ("cam", "true") in modes and ("cam", "predicted") in modes
    md = markdown_task(board, "vowel5-4k")
    assert "| cam [true class] |" in md and "| cam [predicted class] |" in md
