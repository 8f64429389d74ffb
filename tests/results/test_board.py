"""Leaderboard aggregation and rendering, on small stores written through ResultStore (no training)."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import bootstrap

from specxai_bench.errors import ConfigError
from specxai_bench.results import aggregate as agg
from specxai_bench.results import board as lb
from specxai_bench.results import leaderboard
from specxai_bench.results import render as render

from .conftest import HIGH, LIFT, VOWELS, make_store

FAST = agg.BoardConfig(n_resamples=999)


# ---- the bootstrap ----

def hand_cluster_bootstrap(values, clusters, n_resamples, confidence, seed):
    """A direct numpy loop: draw speakers with replacement, pool their samples, take the mean."""
    ids = sorted(set(clusters))
    by = [np.array([v for v, c in zip(values, clusters) if c == s]) for s in ids]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), (n_resamples, len(ids)))
    stats = np.array([np.concatenate([by[i] for i in row]).mean() for row in draws])
    a = (1 - confidence) / 2
    return np.quantile(stats, [a, 1 - a])


def test_cluster_bootstrap_equals_a_hand_written_loop():
    rng = np.random.default_rng(1)
    clusters = np.repeat([f"spk{i}" for i in range(7)], rng.integers(1, 9, 7))  # unequal cluster sizes
    values = rng.normal(size=len(clusters)) + (np.arange(len(clusters)) % 3)
    iv = agg.cluster_bootstrap(values, clusters, n_resamples=2000, confidence=0.9, seed=5)
    lo, hi = hand_cluster_bootstrap(values, clusters, 2000, 0.9, 5)
    assert iv.mean == pytest.approx(values.mean())
    assert (iv.low, iv.high) == pytest.approx((lo, hi), rel=1e-12)
    assert (iv.n, iv.clusters) == (len(values), 7)


def test_speakers_not_segments_are_resampled():
    """Identical segments within a speaker add no information: the CI must be as wide as one from
    the speaker means alone, and much wider than a naive bootstrap over segments."""
    means = np.array([0.1, 0.5, 0.9, 0.3, 0.7])
    values, clusters = np.repeat(means, 40), np.repeat(np.arange(5), 40)
    iv = agg.cluster_bootstrap(values, clusters, n_resamples=2000, seed=0)
    by_speaker = bootstrap((means,), np.mean, n_resamples=2000, method="percentile", rng=np.random.default_rng(0))
    naive = bootstrap((values,), np.mean, n_resamples=2000, method="percentile", rng=np.random.default_rng(0))
    assert (iv.low, iv.high) == pytest.approx(tuple(by_speaker.confidence_interval), rel=1e-12)
    width = lambda ci: ci[1] - ci[0]
    assert width((iv.low, iv.high)) > 3 * width(tuple(naive.confidence_interval))


def test_cluster_bootstrap_covers_the_true_mean():
    rng = np.random.default_rng(2)
    hits = 0
    for rep in range(60):
        spk_means = rng.normal(0.0, 1.0, 20)
        values = np.concatenate([m + rng.normal(0, 0.3, 6) for m in spk_means])
        iv = agg.cluster_bootstrap(values, np.repeat(np.arange(20), 6), n_resamples=999, seed=rep)
        hits += iv.low <= 0.0 <= iv.high
    assert 0.83 <= hits / 60 <= 1.0


def test_nan_values_and_single_speaker():
    iv = agg.cluster_bootstrap(np.array([np.nan, 1.0, 3.0]), np.array(["a", "a", "a"]))
    assert (iv.mean, iv.n, iv.clusters) == (2.0, 2, 1) and np.isnan(iv.low) and np.isnan(iv.high)
    empty = agg.cluster_bootstrap(np.array([np.nan]), np.array(["a"]))
    assert empty.n == 0 and np.isnan(empty.mean)


# ---- the board ----

def test_ranks_honour_each_metrics_direction(tmp_path):
    store = make_store(tmp_path / "a.sqlite", metrics=(LIFT, HIGH))
    ov = lb.build_board([store], FAST).overall.set_index(["method", "metric"])
    assert ov.loc[("input_energy", LIFT), "rank"] == 1  # highest lift
    assert ov.loc[("uniform", HIGH), "rank"] in (1, 2) and ov.loc[("random", HIGH), "rank"] in (1, 2)
    assert ov.loc[("input_energy", HIGH), "rank"] == 5  # highest share = worst when lower is better
    assert not ov.loc[("cam", HIGH), "higher_is_better"] and ov.loc[("cam", LIFT), "higher_is_better"]


def test_unknown_metric_defaults_to_higher_is_better_with_a_note(tmp_path):
    store = make_store(tmp_path / "a.sqlite", metrics=("thirdparty_score@x",))
    board = lb.build_board([store], FAST)
    assert board.overall.set_index("method").loc["input_energy", "rank"] == 1
    md = render.markdown_task(board, "vowel5")
    assert "| t.score ↑? |" in md and "`thirdparty_score@x`" in md  # the alias, and the id in the legend
    assert "not in this installation's metric registry" in md


def test_baselines_come_from_the_method_family_and_a_board_without_one_says_so(tmp_path):
    store = make_store(tmp_path / "a.sqlite", methods={"cam": 1.5, "random": 1.0, "input_energy": 1.7, "uniform": 1.0})
    board = lb.build_board([store], FAST)
    md, tex = render.markdown_task(board, "vowel5"), render.latex_task(board, "vowel5", per_class=False)
    assert "| *input_energy* † |" in md and "| *uniform* † |" in md and "| *random* † |" in md
    assert r"\textit{input\_energy}\textsuperscript{\dag}" in tex
    # baselines (family "baseline") after the contenders, in the order their plugin file registers them
    assert [e.method for e in board.entries("vowel5", "m1")] == ["cam", "input_energy", "uniform", "random"]
    assert "no model-free baseline" not in md
    bare = lb.build_board([make_store(tmp_path / "b.sqlite", methods={"cam": 1.5, "gradcam": 1.2})], FAST)
    assert "no model-free baseline in these rows" in render.markdown_task(bare, "vowel5")


def test_sanity_column_only_with_a_randomisation_metric(tmp_path):
    plain = lb.build_board([make_store(tmp_path / "a.sqlite")], FAST)
    assert "| sanity |" not in render.markdown_task(plain, "vowel5") and plain.sanity.empty
    metric = "model_parameter_randomisation@spearman"  # the registered metric: lower is better, threshold 0.5
    store = make_store(tmp_path / "b.sqlite", metrics=(metric,),
                       methods={"cam": 0.9, "gradcam": 0.1, "input_energy": 0.5, "uniform": 0.0, "random": 0.0})
    board = lb.build_board([store], FAST)
    states = board.sanity.set_index("method")["state"]
    assert states["cam"] == "fail" and states["gradcam"] == "pass" and states["input_energy"] in ("fail", "unclear")
    assert "| sanity |" in render.markdown_task(board, "vowel5")


def test_merging_two_stores(tmp_path):
    a = make_store(tmp_path / "a.sqlite", model="m1", run="r1", corpus="c1")
    b = make_store(tmp_path / "b.sqlite", model="m2", run="r2", corpus="c2", seed=1)
    make_store(b, model="m1", run="r1", corpus="c1")  # a copy of a's rows: counted once
    board = lb.build_board([a, b], FAST)
    assert board.models("vowel5") == ["m1", "m2"]
    ov = board.overall.set_index(["model", "method"])
    assert ov.loc[("m1", "cam"), "n"] == 30 and ov.loc[("m2", "cam"), "n"] == 30
    md = render.markdown_task(board, "vowel5")
    assert "model m1:" in md and "model m2:" in md and "counted once" in md
    assert "run r1" in md and "run r2" in md
    tex = render.latex_task(board, "vowel5", per_class=False)
    assert latex_rows(tex)[1].startswith("model & method")


# ---- files ----

def latex_rows(tex: str) -> list[str]:
    return [ln for ln in tex.splitlines() if ln.strip() and not ln.startswith("%")]


def test_latex_is_structurally_sound(tmp_path):
    odd = "odd_metric@10%,#3"  # needs escaping
    store = make_store(tmp_path / "a.sqlite", metrics=(LIFT, odd))
    board = lb.build_board([store], FAST)
    for per_class in (False, True):
        body = latex_rows(render.latex_task(board, "vowel5", per_class))
        assert body[0] == r"\toprule" and body[-1] == r"\bottomrule" and r"\midrule" in body
        rows = [ln for ln in body if ln.endswith(r"\\")]
        counts = {len(re.findall(r"(?<!\\)&", ln)) for ln in rows}
        assert len(counts) == 1 and counts.pop() == (6 if per_class else 2)
        text = "\n".join(body)
        unescaped = re.sub(r"\\[{}]", "", text)
        depth = 0
        for ch in unescaped:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0
        assert depth == 0
        for ch in "_%#&":
            for ln in rows:
                ln = ln.replace(" & ", " ")
                assert not re.search(rf"(?<!\\){re.escape(ch)}", ln), (ch, ln)
        assert r"o.metric $\uparrow$?" in text  # the column alias; the id itself in a comment line
        assert "% column o.metric: odd_metric@10%,#3 v1" in render.latex_task(board, "vowel5", per_class)


def test_regeneration_is_byte_identical(tmp_path):
    store = make_store(tmp_path / "a.sqlite", metrics=(LIFT, HIGH))
    out = tmp_path / "boards"
    written = leaderboard.regenerate([store], out, FAST)
    assert {p.name for p in written} >= {"index.md", "vowel5.md", "vowel5.tex", "vowel5_by_class.tex",
                                         "leaderboard.csv", "leaderboard_by_class.csv"}
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    for p in out.iterdir():
        p.unlink()
    leaderboard.regenerate([store], out, FAST)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert b"2026-01-02T03:04:05+0000" in first["vowel5.md"]  # the manifest's date, not today's


def test_interrupted_write_keeps_the_old_files(tmp_path, monkeypatch):
    store = make_store(tmp_path / "a.sqlite")
    out = tmp_path / "boards"
    leaderboard.regenerate([store], out, FAST)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    make_store(store, model="m9", run="r9", seed=3)  # new rows: every table would change

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        leaderboard.regenerate([store], out, FAST)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temp files left either


def test_csv_reads_back(tmp_path):
    store = make_store(tmp_path / "a.sqlite", metrics=(LIFT, HIGH))
    out = tmp_path / "boards"
    leaderboard.regenerate([store], out, FAST)
    df = pd.read_csv(out / "leaderboard.csv")  # plain: one header line, no footer
    assert len(df) == 5 * 2 and set(df["rank"]) <= {1, 2, 3, 4, 5}
    assert (df["ci_low"] <= df["mean"]).all() and (df["mean"] <= df["ci_high"]).all()
    by_class = pd.read_csv(out / "leaderboard_by_class.csv")
    assert set(by_class["true_class"]) == set(VOWELS) and (by_class["n"] == 6).all()
    side = json.loads((out / "leaderboard.json").read_text())  # provenance in the sidecar
    assert any(p.startswith("run r1, created 2026-01-02T03:04:05+0000") for p in side["provenance"])
    assert side["aliases"]["vowel5"]["hb.share"] == {"metric": HIGH, "version": 1}


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        lb.build_board([tmp_path / "nope.sqlite"])
    assert not (tmp_path / "nope.sqlite").exists()


def test_true_class_of_shortcut_samples_comes_from_the_true_target():
    from specxai_bench.data.tasks import ALL_TASKS

    classes = ALL_TASKS["shortcut"].classes
    # the label is the vowel, dealt to a class independently of it: only the true target tells the class
    assert lb.true_class("shortcut", "iy", 2, "true") == classes[2]
    assert lb.true_class("shortcut", "iy", 2, "predicted") == "unknown"
    assert lb.true_class("vowel5", "iy", 3, "true") == "iy"  # elsewhere the label decides
    assert lb.true_class("voicing", "z", 0, "true") == "voiced"
    assert lb.true_class("not-registered", "xx") == "xx"
