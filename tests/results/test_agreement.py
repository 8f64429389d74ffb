"""Metric agreement: Kendall's tau-b (vs scipy), directions aligned, the method and speaker floors, the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau

from specxai_bench.cli import main
from specxai_bench.results.agreement import AgreementConfig, agreement, kendall_tau_b
from specxai_bench.results.store import ResultRow, ResultStore

GT = "relevance_mass_accuracy@margin100hz,10ms"  # ground truth, higher is better
HIGH = "sparseness"  # complexity, higher is better
LOW = "band_deletion@K16,min"  # faithfulness, lower is better
LOW2 = "complexity_entropy"  # complexity, lower is better


def test_identical_rankings_give_one_and_reversed_give_minus_one():
    x = np.array([0.3, 0.1, 0.7, 0.5, 0.9])
    assert kendall_tau_b(x, x) == 1.0 and kendall_tau_b(x, -x) == -1.0 and kendall_tau_b(x, 2 * x + 1) == 1.0


def test_tau_b_equals_scipy_with_ties_and_missing_methods():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(2, 14))
        x, y = rng.integers(0, 4, n).astype(float), rng.integers(0, 4, n).astype(float)
        x[rng.random(n) < 0.15] = np.nan
        ok = np.isfinite(x) & np.isfinite(y)
        ref = kendalltau(x[ok], y[ok]).statistic if ok.sum() >= 2 else np.nan
        ours = kendall_tau_b(x, y)
        assert (np.isnan(ref) and np.isnan(ours)) or ours == pytest.approx(ref, abs=1e-6)


def rows(n_methods: int = 10, n_speakers: int = 6, per_speaker: int = 3, seed: int = 0) -> pd.DataFrame:
    """Method i's true quality q_i = i; each metric sees it (plus noise) in its own direction:
    GT and HIGH rise with q, LOW falls with q (so aligned it agrees), LOW2 rises with q (so aligned it
    disagrees)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_methods):
        for s in range(n_speakers):
            for k in range(per_speaker):
                noise = rng.normal(0, 0.05, 4)
                for metric, value in ((GT, i + noise[0]), (HIGH, i + noise[1]), (LOW, -i + noise[2]),
                                      (LOW2, i + noise[3])):
                    out.append(dict(task="tf-shortcut", model="m1", target_mode="true", method=f"method{i}",
                                    method_options="{}", metric=metric, metric_version=1, sample=f"s{s}-{k}",
                                    label="aa", speaker=f"spk{s}", target=0, value=value, error=None, run="r"))
    return pd.DataFrame(out)


def test_directions_are_aligned_and_intervals_cover_the_point():
    (a,) = agreement(rows(), AgreementConfig(n_resamples=300))
    idx = {m: a.metrics.index(m) for m in (GT, HIGH, LOW, LOW2)}
    assert a.metrics[0] == GT and a.families[0] == "ground_truth" and a.ground_truth() == [0]
    assert a.tau[idx[GT], idx[HIGH]] == 1.0 and a.tau[idx[GT], idx[LOW]] == 1.0  # lower-better, flipped: agrees
    assert a.tau[idx[GT], idx[LOW2]] == -1.0  # lower-better but rising with quality: reversed
    np.testing.assert_array_equal(a.tau, a.tau.T)
    assert (a.low <= a.tau + 1e-12).all() and (a.tau <= a.high + 1e-12).all()
    assert a.speakers == 6 and (a.n_methods == 10).all() and len(a.methods) == 10


def test_too_few_methods_or_speakers_say_so():
    (few,) = agreement(rows(n_methods=7), AgreementConfig(n_resamples=200))
    assert np.isnan(few.tau).all() and (few.n_methods == 7).all()
    (thin,) = agreement(rows(n_speakers=4), AgreementConfig(n_resamples=200))
    assert np.isfinite(thin.tau).all() and np.isnan(thin.low).all() and np.isnan(thin.high).all()
    (mixed,) = agreement(rows(n_methods=9).query(f"not (metric == '{LOW2}' and method == 'method0')"),
                         AgreementConfig(n_resamples=200, min_methods=9))
    i, j = mixed.metrics.index(LOW2), mixed.metrics.index(HIGH)
    assert mixed.n_methods[i, 0] == 8 and np.isnan(mixed.tau[i, 0]) and np.isfinite(mixed.tau[0, j])


def test_the_bootstrap_is_seeded_and_resamples_speakers():
    noisy = rows(n_methods=8, seed=1)
    noisy["value"] += np.random.default_rng(5).normal(0, 3, len(noisy))  # rankings now uncertain
    a1, = agreement(noisy, AgreementConfig(n_resamples=300, seed=4))
    a2, = agreement(noisy, AgreementConfig(n_resamples=300, seed=4))
    np.testing.assert_array_equal(a1.low, a2.low)
    off = ~np.eye(len(a1.metrics), dtype=bool)
    assert (a1.high[off] - a1.low[off] > 0.05).all()  # real spread from the speaker resamples


def write_store(path, frame: pd.DataFrame) -> None:
    with ResultStore(path) as store:
        store.write_rows(ResultRow(**r) for r in frame.to_dict("records"))


def test_cli_writes_the_page_the_table_and_the_heat_map(tmp_path, capsys):
    write_store(tmp_path / "results.sqlite", rows())
    out = tmp_path / "boards"
    assert main(["meta", "agreement", "--results", str(tmp_path / "results.sqlite"), "--out", str(out),
                 "--n-resamples", "200"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"meta-agreement.md", "meta-agreement.csv", "meta-agreement-tf-shortcut.png",
            "meta-agreement-tf-shortcut.pdf"} <= names
    md = (out / "meta-agreement.md").read_text()
    assert "## Agreement with ground truth" in md and "| faithfulness | 1 | +1.00 [" in md
    assert f"| {LOW2} | complexity | -1.00 [" in md
    assert "page: `specxai-bench meta agreement --results" in md
    table = pd.read_csv(out / "meta-agreement.csv", comment="#")
    assert len(table) == 16 and set(table["speakers"]) == {6}
    again = (out / "meta-agreement.md").read_bytes()
    main(["meta", "agreement", "--results", str(tmp_path / "results.sqlite"), "--out", str(out), "--n-resamples", "200"])
    assert (out / "meta-agreement.md").read_bytes() == again  # the same rows give the same page


def test_cli_refuses_too_few_methods_and_unknown_tasks(tmp_path, capsys):
    write_store(tmp_path / "results.sqlite", rows(n_methods=5))
    args = ["meta", "agreement", "--results", str(tmp_path / "results.sqlite"), "--out", str(tmp_path / "o")]
    assert main(args) == 2 and "at least 8 methods (methods per task: tf-shortcut: 5)" in capsys.readouterr().err
    assert main(args + ["--tasks", "vowel5"]) == 2 and "vowel5 have no rows" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert main(args + ["--min-methods", "5", "--n-resamples", "100"]) == 0


def test_rankings_rest_on_the_samples_every_metric_scored():
    """A cheap metric on every sample and an expensive one on a subset: both are ranked on the subset."""
    full = rows()
    subset = {f"s{s}-0" for s in range(6)}
    part = full[(full["metric"] != LOW) | full["sample"].isin(subset)].copy()
    shifted = part["sample"].isin(subset) | (part["metric"] != GT)
    part.loc[~shifted, "value"] = -part.loc[~shifted, "value"] * 100  # GT reversed off the subset
    (a,) = agreement(part, AgreementConfig(n_resamples=200))
    assert a.tau[a.metrics.index(GT), a.metrics.index(LOW)] == 1.0  # only the subset counts
