"""Cells without CI below 5 speakers, the sanity flag from |rho| pooled over seeds, and the randomisation
curves frame (results/aggregate.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specxai_bench.results.aggregate import (
    STAGE_COLUMNS,
    BoardConfig,
    cascade_frame,
    sanity_frame,
    speaker_bootstrap,
    stage_frame,
)

CFG = BoardConfig(n_resamples=999)


def rand_rows(values: dict[tuple[str, str], np.ndarray], speakers: int = 6, per: int = 4, part: str = "all"
              ) -> pd.DataFrame:
    """Rows of randomisation metric ids: {(method, metric id): per-sample values}."""
    out = []
    for (method, metric), vals in values.items():
        for i, v in enumerate(vals):
            spk = f"s{i // per}"
            out.append({"task": "voicing", "model": "m", "target_mode": "true", "method": method,
                        "method_options": "{}", "metric": metric, "metric_version": 1, "part": part,
                        "sample": f"{spk}/x{i}", "speaker": spk, "value": v, "error": None})
    return pd.DataFrame(out)


def test_a_cell_with_two_speakers_has_no_ci():
    values, speakers = np.arange(10.0), np.repeat(["a", "b"], 5)
    iv = speaker_bootstrap(values, speakers, CFG)
    assert iv.clusters == 2 and iv.mean == 4.5 and np.isnan(iv.low) and np.isnan(iv.high)
    five = speaker_bootstrap(np.arange(10.0), np.repeat(list("abcde"), 2), CFG)
    assert five.low < five.mean < five.high
    assert np.isfinite(speaker_bootstrap(values, speakers, BoardConfig(n_resamples=999, min_speakers=2)).low)


def test_the_sanity_flag_reads_rho_magnitude_of_the_full_randomisation_pooled_over_seeds():
    """A method whose maps anti-correlate after randomisation (-0.7) has a signed mean near 0 when the
    classes disagree, but |rho| 0.7: it fails. Only `all` + spearman_abs decides the flag."""
    n = 24
    flip = np.where(np.arange(n) % 2 == 0, 0.7, -0.7)
    ids = {s: f"model_randomisation@cascade,all,spearman_abs,seed{s}" for s in range(3)}
    vals = {("lrp", ids[s]): flip + 0.01 * s for s in range(3)}
    vals |= {("gradcam", ids[s]): np.full(n, 0.05 + 0.01 * s) for s in range(3)}
    vals[("gradcam", "model_randomisation@cascade,layer4,spearman_abs,seed0")] = np.full(n, 0.99)  # not the flag
    vals[("gradcam", "model_randomisation@cascade,all,ssim,seed0")] = np.full(n, 0.99)  # not the flag either
    flags = sanity_frame(rand_rows(vals), CFG).set_index("method")
    assert flags.loc["lrp", "state"] == "fail" and abs(flags.loc["lrp", "mean"] - 0.71) < 0.02
    assert flags.loc["gradcam", "state"] == "pass" and abs(flags.loc["gradcam", "mean"] - 0.06) < 1e-9
    assert flags.loc["gradcam", "n"] == n and flags.loc["gradcam", "source"] == \
        "model_randomisation@cascade,all,spearman_abs"
    few = sanity_frame(rand_rows(vals, speakers=3, per=8), CFG).set_index("method")
    assert few.loc["gradcam", "state"] == "unclear" and np.isnan(few.loc["gradcam", "ci_low"])  # no CI: no pass


def test_first_version_rows_still_give_a_flag():
    old = "model_parameter_randomisation@full,spearman,seed0"
    flags = sanity_frame(rand_rows({("cam", old): np.full(24, -0.8), ("gradcam", old): np.full(24, 0.1)}), CFG)
    assert dict(zip(flags["method"], flags["state"])) == {"cam": "fail", "gradcam": "pass"}


def test_cascade_frame_columns_seeds_and_stage_order():
    vals = {}
    for s in range(3):
        for stage, level in (("fc", 0.9), ("layer4", 0.6), ("layer1", 0.3), ("all", 0.1)):
            vals[("cam", f"model_randomisation@cascade,{stage},spearman_abs,seed{s}")] = np.full(24, level + 0.02 * s)
        vals[("cam", f"model_randomisation@independent,layer4,spearman_abs,seed{s}")] = np.full(24, 0.5)
    frame = cascade_frame(rand_rows(vals), CFG)
    assert list(frame.columns) == STAGE_COLUMNS
    assert list(frame["stage"]) == ["fc", "layer4", "layer1", "all"] and list(frame["stage_index"]) == [1, 2, 5, 7]
    assert np.allclose(frame["mean"], [0.92, 0.62, 0.32, 0.12]) and np.allclose(frame["seeds_sd"], 0.02)
    assert (frame["n"] == 24).all() and (frame["speakers"] == 6).all() and (frame["ci_low"] <= frame["mean"] + 1e-12).all()
    independent = stage_frame(rand_rows(vals), "independent", CFG)
    assert list(independent["stage"]) == ["layer4"] and independent["mean"].iloc[0] == 0.5
