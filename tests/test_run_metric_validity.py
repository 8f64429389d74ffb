"""`run` end to end on the smoke profile with the metric-validity pieces: band_prior and a pooled power
baseline as methods, `grid=auto` metrics filled from the run's methods, native grids stored with the rows."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from specxai_bench.results.board import load_stores

METHODS = "cam,band_prior,input_energy@scale=power,grid=2x2"
METRICS = "in_band_formant_lift,formant_band_lift@grid=auto,formant_band_lift_normalised@grid=auto"


@pytest.fixture(scope="module")
def out(run_cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("validity")
    res = run_cli("run", "--profile", "smoke", "--tasks", "vowel5", "--methods", METHODS, "--metrics", METRICS,
                  "--max-samples", "2", "--no-progress", "--output", folder)
    assert res.returncode == 0, res.stderr[-3000:]
    return folder


def rows(folder) -> pd.DataFrame:
    with sqlite3.connect(folder / "results.sqlite") as db:
        return pd.read_sql_query("SELECT * FROM rows", db)


def test_grid_auto_becomes_the_coarsest_native_grid_in_the_ids(out):
    metrics = set(rows(out)["metric"])
    assert metrics == {"formant_band_lift@F123,w100hz,10pct,below4000hz", "formant_band_lift@F123,w100hz,10pct,grid2x2",
                       "formant_band_lift_normalised@F123,w100hz,10pct,grid2x2"}  # smoke: 64 px, CAM is 2x2
    assert "grid=auto" in json.loads((out / "manifest.json").read_text())["command"]  # the command as asked


def test_native_grids_are_stored_beside_the_rows(out):
    src = load_stores([out / "results.sqlite"])
    model = src.rows["model"].iloc[0]
    assert src.native_grid("vowel5", model, "cam", '{"layer": "layer4"}') == "2x2"
    assert src.native_grid("vowel5", model, "band_prior", "{}") == "64x64"
    assert src.native_grid("vowel5", model, "input_energy", '{"grid": "2x2", "scale": "power"}') == "2x2"


def test_band_prior_is_at_chance_in_band_and_no_map_passes_its_ceiling(out):
    r = rows(out)
    prior = r[(r["method"] == "band_prior") & (r["metric"].str.contains("below4000hz"))]
    assert len(prior) == 10 and (prior["value"] - 1.0).abs().max() < 1e-6  # 2 samples x 5 classes
    normalised = r.loc[r["metric"].str.startswith("formant_band_lift_normalised"), "value"].dropna()
    assert len(normalised) >= 20 and normalised.max() <= 1 + 1e-6
