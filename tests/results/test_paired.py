"""Paired comparisons and earned ranks (results/paired.py) on hand-made rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specxai_bench.results.aggregate import CELL, BoardConfig, summarise
from specxai_bench.results.paired import compare, earned_ranks

CFG = BoardConfig(n_resamples=999)
LIFT = "formant_band_lift@F123,w100hz,10pct"


def rows(levels: dict[str, np.ndarray], speakers: int = 6, per: int = 5, metric: str = LIFT) -> pd.DataFrame:
    """One row per method and sample: the given per-sample values (length speakers * per)."""
    out = []
    for method, values in levels.items():
        for i, v in enumerate(values):
            spk = f"s{i // per}"
            out.append({"task": "vowel5", "model": "m", "target_mode": "true", "method": method, "method_options": "{}",
                        "metric": metric, "metric_version": 1, "part": "all", "sample": f"{spk}/x{i}", "speaker": spk,
                        "value": v, "error": None})
    return pd.DataFrame(out)


def board_cells(frame: pd.DataFrame, cfg: BoardConfig = CFG) -> pd.DataFrame:
    return compare(frame, summarise(frame, CELL + ["part"], cfg), cfg).set_index("method")


def test_two_identical_methods_share_a_rank():
    rng = np.random.default_rng(0)
    base = 2.0 + rng.normal(0, 0.3, 30)
    cells = board_cells(rows({"cam": base, "gradcam": base.copy(), "input_energy": base - 0.5,
                              "uniform": np.ones(30)}))
    assert cells.loc["cam", "rank"] == cells.loc["gradcam", "rank"] == 1
    assert cells.loc["cam", "rank_shared"] and cells.loc["gradcam", "rank_shared"]
    assert cells.loc["input_energy", "rank"] == 3 and not cells.loc["input_energy", "rank_shared"]
    assert cells.loc["gradcam", "d_best"] == 0.0 and cells.loc["gradcam", "d_best_low"] == 0.0


def test_a_method_equal_to_a_baseline_plus_noise_has_a_paired_ci_containing_0():
    """Speakers differ a lot (so each mean's own CI is wide); a copy of the baseline plus zero-mean noise
    has a paired CI containing 0 (in about 95 % of draws), a method 0.3 above it one far above 0."""
    contains = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        energy = np.repeat(rng.normal(2.0, 0.5, 6), 5) + rng.normal(0, 0.2, 30)
        copycat = energy + rng.normal(0, 0.05, 30)
        better = energy + 0.3 + rng.normal(0, 0.05, 30)
        cells = board_cells(rows({"copycat": copycat, "better": better, "input_energy": energy,
                                  "uniform": np.ones(30)}))
        c, b = cells.loc["copycat"], cells.loc["better"]
        assert c["baseline"] == "input_energy" and c["d_base_n"] == 30
        contains += c["d_base_low"] <= 0.0 <= c["d_base_high"]
        assert b["d_base_low"] > 0.2 and abs(b["d_base"] - np.mean(better - energy)) < 1e-12
        # the pairing matters: the difference's CI is far narrower than the mean's own CI
        assert b["d_base_high"] - b["d_base_low"] < 0.25 * (b["ci_high"] - b["ci_low"])
        assert b["rank"] == 1
        if c["d_base_low"] <= 0.0 <= c["d_base_high"]:
            assert c["rank"] == cells.loc["input_energy", "rank"] and c["rank_shared"]  # not shown to differ
    assert contains >= 17


def test_the_strongest_baseline_follows_the_metric_direction():
    rng = np.random.default_rng(2)
    share = "high_band_share@above4000hz"  # lower is better: uniform's low share is the bar
    cells = board_cells(rows({"cam": 0.3 + rng.normal(0, .01, 30), "input_energy": 0.4 + rng.normal(0, .01, 30),
                              "uniform": np.full(30, 0.2)}, metric=share))
    assert set(cells["baseline"]) == {"uniform"} and cells.loc["cam", "d_base"] > 0
    assert cells.loc["uniform", "rank"] == 1 and cells.loc["input_energy", "rank"] == 3


def test_no_rank_and_no_ci_with_fewer_than_five_speakers():
    rng = np.random.default_rng(3)
    cells = board_cells(rows({"cam": 2 + rng.normal(0, .1, 10), "input_energy": 1 + rng.normal(0, .1, 10)},
                             speakers=2))
    assert cells["rank"].isna().all() and cells["ci_low"].isna().all() and cells["d_base_low"].isna().all()
    assert (cells["speakers"] == 2).all() and np.isfinite(cells.loc["cam", "d_base"])


def test_earned_ranks_follow_the_leader_of_each_rank():
    differs = {("b", "a"): False, ("c", "a"): True, ("d", "c"): False, ("e", "c"): True}
    ranks = earned_ranks(list("abcde"), lambda x, y: differs[(x, y)])
    assert ranks == {"a": 1, "b": 1, "c": 3, "d": 3, "e": 5}
