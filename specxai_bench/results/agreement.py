"""Metric agreement: do two metrics rank the attribution methods alike?

For each (task, model, target mode) in the stores: every method (with its options) gets its mean
under every metric over the test samples that every metric scored (finite values only, as on the
boards; :func:`common_samples`); each metric's
means are signed so that higher is better (its registered direction); Kendall's tau-b is taken
between the method orders of every pair of metrics, over the methods both score (at least
``min_methods``; fewer, and the cell says so). tau = 1: the same order, -1: reversed, 0: unrelated.

The interval resamples speakers with replacement (all their samples come along; one draw for every
method and metric, so the two rankings of a pair stay paired), recomputes the means and the tau,
and takes the percentile interval; only with at least ``min_speakers`` speakers behind the cell.

On the tasks with ground truth (a metric of family ``ground_truth`` is present: the shortcut
tasks), the headline is each other metric's tau with the ground-truth metrics (LATEC, Klein et
al. NeurIPS 2024, compares metrics by their rank correlation over methods; Bolaños et al.,
Interspeech 2025, found faithfulness and time-localisation AUC rank audio methods differently).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

GROUND_TRUTH = "ground_truth"


@dataclass(frozen=True)
class AgreementConfig:
    """How the matrix is made; part of the page's provenance."""

    n_resamples: int = 2000
    confidence: float = 0.95
    seed: int = 0
    min_methods: int = 8
    min_speakers: int = 5


@dataclass
class Agreement:
    """One (task, model, target mode): the tau of every metric pair, its interval and what it rests on."""

    task: str
    model: str
    target_mode: str
    metrics: list[str]  # metric labels (id, plus the version where several are present)
    families: list[str]
    methods: list[str]  # method labels (name, plus options where they differ from the defaults)
    tau: np.ndarray  # [M, M]
    low: np.ndarray
    high: np.ndarray
    n_methods: np.ndarray  # [M, M] int: methods both metrics score
    samples: int  # the samples every metric scored
    speakers: int
    boot: np.ndarray  # [R, M, M] the resampled taus (for family summaries)

    def ground_truth(self) -> list[int]:
        return [i for i, f in enumerate(self.families) if f == GROUND_TRUTH]


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b between the last axes of ``x`` [..., E] and ``y`` [..., E] (NaN entries dropped
    pairwise); NaN where fewer than two items or one side is all tied. Equal to scipy.stats.kendalltau."""
    return _tau_matrix(np.stack([x, y], -2))[..., 0, 1]


def _tau_matrix(x: np.ndarray) -> np.ndarray:
    """[..., M, E] scores of E items under M metrics -> [..., M, M] tau-b of every pair of metrics."""
    ok = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        sign = np.sign(x[..., :, None] - x[..., None, :])  # [..., M, E, E]
    valid = (ok[..., :, None] & ok[..., None, :]).astype(np.float32)
    sign = np.nan_to_num(sign).astype(np.float32) * valid
    num = np.einsum("...mij,...nij->...mn", sign, sign)
    untied = np.einsum("...mij,...nij->...mn", sign * sign, valid)  # [m, n]: pairs untied in m, valid in both
    den = np.sqrt(untied * np.swapaxes(untied, -1, -2))
    with np.errstate(invalid="ignore", divide="ignore"):  # the counts are small integers: exact in float32
        return np.where(den > 0, num.astype(np.float64) / np.where(den > 0, den, 1.0), np.nan)


def agreement(rows: pd.DataFrame, cfg: AgreementConfig = AgreementConfig()) -> list[Agreement]:
    """The agreement matrix of every (task, model, target mode) in ``rows`` (a board's merged rows)."""
    from .aggregate import direction

    out = []
    for (task, model, mode), part in rows.groupby(["task", "model", "target_mode"], sort=True):
        part = common_samples(part)
        part = part[np.isfinite(part["value"].to_numpy(np.float64))]
        if part.empty:
            continue
        entries = sorted({(m, o) for m, o in zip(part["method"], part["method_options"])})
        metric_keys = _metric_order(sorted({(m, int(v)) for m, v in zip(part["metric"], part["metric_version"])}))
        speakers = sorted(part["speaker"].unique())
        e_index = {e: i for i, e in enumerate(entries)}
        m_index = {k: i for i, k in enumerate(metric_keys)}
        s_index = {s: i for i, s in enumerate(speakers)}
        sums = np.zeros((len(metric_keys), len(entries), len(speakers)))
        counts = np.zeros_like(sums)
        mi = np.array([m_index[(m, int(v))] for m, v in zip(part["metric"], part["metric_version"])])
        ei = np.array([e_index[(m, o)] for m, o in zip(part["method"], part["method_options"])])
        si = np.array([s_index[s] for s in part["speaker"]])
        np.add.at(sums, (mi, ei, si), part["value"].to_numpy(np.float64))
        np.add.at(counts, (mi, ei, si), 1.0)
        sign = np.array([1.0 if direction(m)[0] else -1.0 for m, _ in metric_keys])[:, None]
        tau = _tau_matrix(_means(sums, counts, np.ones((1, len(speakers))))[0] * sign)
        has = counts.sum(2) > 0  # [M, E]
        n_methods = (has[:, None, :] & has[None, :, :]).sum(2)
        boot = _bootstrap(sums, counts, sign, cfg)
        alpha = (1 - cfg.confidence) / 2
        enough = len(speakers) >= cfg.min_speakers
        low = _quantile(boot, alpha) if enough else np.full_like(tau, np.nan)
        high = _quantile(boot, 1 - alpha) if enough else np.full_like(tau, np.nan)
        few = n_methods < cfg.min_methods
        tau, low, high = (np.where(few, np.nan, a) for a in (tau, low, high))
        out.append(Agreement(task, model, mode, _labels(metric_keys), [_family(m) for m, _ in metric_keys],
                             [_method_label(m, o) for m, o in entries], tau, low, high, n_methods,
                             part["sample"].nunique(), len(speakers),
                             np.where(few[None], np.nan, boot)))
    return out


def common_samples(part: pd.DataFrame) -> pd.DataFrame:
    """The rows of the samples that every metric of ``part`` scored (a row stored, NaN included), so that
    all the rankings rest on the same samples (a cheap metric run on every sample and an expensive one
    with --max-samples in one store are compared on the latter's samples)."""
    n_metrics = part[["metric", "metric_version"]].drop_duplicates().shape[0]
    per_sample = part.groupby("sample")[["metric", "metric_version"]].apply(lambda g: len(g.drop_duplicates()))
    return part[part["sample"].isin(per_sample.index[per_sample == n_metrics])]


def _means(sums: np.ndarray, counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """[R, M, E]: each method's mean per metric with speakers weighted by ``weights`` [R, S]."""
    num = np.einsum("rs,mes->rme", weights, sums)
    den = np.einsum("rs,mes->rme", weights, counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _bootstrap(sums: np.ndarray, counts: np.ndarray, sign: np.ndarray, cfg: AgreementConfig) -> np.ndarray:
    """[R, M, M] taus of speaker resamples (seeded; chunked to bound memory)."""
    rng = np.random.default_rng(cfg.seed)
    n = sums.shape[2]
    draws = rng.integers(0, n, (cfg.n_resamples, n))
    weights = np.stack([np.bincount(d, minlength=n) for d in draws]).astype(np.float64)
    chunks = [_tau_matrix(_means(sums, counts, weights[i:i + 200]) * sign[None])
              for i in range(0, cfg.n_resamples, 200)]
    return np.concatenate(chunks) if chunks else np.zeros((0, len(sums), len(sums)))


def _quantile(boot: np.ndarray, q: float) -> np.ndarray:
    """Percentile over the resamples (axis 0), ignoring NaN; NaN where every resample is NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells (too few methods) stay NaN
        return np.nanquantile(boot, q, axis=0) if len(boot) else np.full(boot.shape[1:], np.nan)


def _family(metric: str) -> str:
    from ..metrics import METRICS

    name = metric.split("@", 1)[0]
    return METRICS.get(name).family if name in METRICS else "other"


def _metric_order(keys: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Ground-truth metrics first, then by family and id."""
    return sorted(keys, key=lambda k: (_family(k[0]) != GROUND_TRUTH, _family(k[0]), k[0], k[1]))


def _labels(keys: list[tuple[str, int]]) -> list[str]:
    ids = [m for m, _ in keys]
    return [m if ids.count(m) == 1 else f"{m} v{v}" for m, v in keys]


def _method_label(method: str, options: str) -> str:
    return method if options in ("", "{}") else f"{method} {options}"


def family_agreement(a: Agreement, cfg: AgreementConfig) -> list[dict[str, object]]:
    """Per family of the other metrics: the mean tau of its metrics with the ground-truth metrics, and
    its percentile interval over the same speaker resamples."""
    gt = a.ground_truth()
    out = []
    for fam in sorted({f for f in a.families if f != GROUND_TRUTH}):
        idx = [i for i, f in enumerate(a.families) if f == fam]
        out.append({"family": fam, "metrics": len(idx), **_mean_tau(a, idx, gt, cfg)})
    return out


def metric_agreement(a: Agreement, cfg: AgreementConfig) -> list[dict[str, object]]:
    """Per other metric: its mean tau with the ground-truth metrics and the interval of that mean,
    best agreeing first."""
    gt = a.ground_truth()
    out = [{"metric": m, "family": a.families[i], **_mean_tau(a, [i], gt, cfg)}
           for i, m in enumerate(a.metrics) if a.families[i] != GROUND_TRUTH]
    return sorted(out, key=lambda r: (not np.isfinite(r["tau"]), -np.nan_to_num(r["tau"])))


def _mean_tau(a: Agreement, rows: list[int], cols: list[int], cfg: AgreementConfig) -> dict[str, object]:
    point = a.tau[np.ix_(rows, cols)]
    alpha = (1 - cfg.confidence) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        boot = np.nanmean(a.boot[:, rows][:, :, cols].reshape(len(a.boot), -1), 1) if len(a.boot) else np.array([])
        ok = a.speakers >= cfg.min_speakers and np.isfinite(boot).any()
        return {"pairs": int(np.isfinite(point).sum()),
                "tau": float(np.nanmean(point)) if np.isfinite(point).any() else np.nan,
                "low": float(np.nanquantile(boot, alpha)) if ok else np.nan,
                "high": float(np.nanquantile(boot, 1 - alpha)) if ok else np.nan}
