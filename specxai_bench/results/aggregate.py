"""Aggregation of per-sample rows into cells: the one place where means, intervals, ranks and sanity
flags are made (used by `run`, `leaderboard`, `report` and the studies).

The CI is a cluster bootstrap: speakers are resampled with replacement and all their samples
come along, since segments of one speaker are not independent. What a plugin is (a baseline
method, a sanity metric, a metric's direction) is read from the registries' metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

ENTRY = ["task", "model", "target_mode", "method", "method_options"]  # one row of a board's table
CELL = ENTRY + ["metric", "metric_version"]  # one cell
SANITY_ORDER = {"fail": 3, "unclear": 2, "pass": 1, "not scored": 0}


@dataclass(frozen=True)
class BoardConfig:
    """How cells are aggregated; part of every table's provenance footer."""

    n_resamples: int = 9999
    confidence: float = 0.95
    seed: int = 0
    sanity_threshold: float = 0.5  # used when a randomisation metric does not declare its own


class Interval(NamedTuple):
    mean: float
    low: float
    high: float
    n: int
    clusters: int


def cluster_bootstrap(values: np.ndarray, clusters: np.ndarray, *, n_resamples: int = 9999,
                      confidence: float = 0.95, seed: int = 0) -> Interval:
    """Mean of the finite ``values`` and a percentile CI from resampling whole clusters.

    ``scipy.stats.bootstrap`` resamples cluster indices; the statistic is the sample mean over the
    drawn clusters (sum of their sums / sum of their counts). Fewer than 2 clusters: no CI (NaN).
    """
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    values, clusters = values[ok], np.asarray(clusters)[ok]
    if not len(values):
        return Interval(np.nan, np.nan, np.nan, 0, 0)
    _, inv = np.unique(clusters, return_inverse=True)
    sums, counts = np.bincount(inv, weights=values), np.bincount(inv).astype(np.float64)
    mean = float(sums.sum() / counts.sum())
    if len(sums) < 2:
        return Interval(mean, np.nan, np.nan, len(values), len(sums))

    def stat(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = idx.astype(np.intp)
        return sums[idx].sum(axis) / counts[idx].sum(axis)

    res = bootstrap((np.arange(len(sums)),), stat, n_resamples=n_resamples, confidence_level=confidence,
                    method="percentile", vectorized=True, rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Interval(mean, float(ci.low), float(ci.high), len(values), len(sums))


def direction(metric_id: str) -> tuple[bool, bool]:
    """(higher is better, known): from the metric registry by the id's name part before '@'."""
    from ..metrics import METRICS

    name = metric_id.split("@", 1)[0]
    return (bool(METRICS.get(name).higher_is_better), True) if name in METRICS else (True, False)


def is_baseline(method: str) -> bool:
    """A model-free reference map: its method's family is ``baseline`` (methods not installed here: no)."""
    from ..methods import METHODS

    return method in METHODS and METHODS.get(method).family == "baseline"


def is_sanity_metric(metric_id: str) -> bool:
    """A metric whose declared role is ``sanity`` (its mean gives a pass/fail flag per method)."""
    from ..metrics import METRICS

    name = metric_id.split("@", 1)[0]
    return name in METRICS and METRICS.get(name).role == "sanity"


def summarise(rows: pd.DataFrame, by: list[str], cfg: BoardConfig) -> pd.DataFrame:
    """One row per group: mean, CI, n (finite values), speakers, NaN and failure counts."""
    out = []
    for key, g in rows.groupby(by, sort=True):
        iv = cluster_bootstrap(g["value"].to_numpy(np.float64), g["speaker"].to_numpy(),
                               n_resamples=cfg.n_resamples, confidence=cfg.confidence, seed=cfg.seed)
        failed = int(g["error"].notna().sum())
        out.append({**dict(zip(by, key)), "mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high, "n": iv.n,
                    "speakers": iv.clusters, "nan": int(g["value"].isna().sum()) - failed, "failed": failed})
    return pd.DataFrame(out, columns=[*by, "mean", "ci_low", "ci_high", "n", "speakers", "nan", "failed"])


def add_ranks(summary: pd.DataFrame) -> pd.DataFrame:
    """Rank 1 = best within (task, model, target mode, metric), honouring each metric's direction; ties share."""
    higher = summary["metric"].map(lambda m: direction(m)[0]).astype(bool)
    key = summary["mean"].where(~higher, -summary["mean"])
    rank = key.groupby([summary[c] for c in ("task", "model", "target_mode", "metric", "metric_version")]
                       ).rank(method="min")
    return summary.assign(higher_is_better=higher, rank=rank.astype("Int64"))


def sanity_state(mean: float, low: float, high: float, higher: bool, threshold: float) -> str:
    """pass: whole CI on the good side of the threshold; fail: mean on the bad side; else unclear."""
    good = (lambda x: x > threshold) if higher else (lambda x: x < threshold)
    if not np.isfinite(mean):
        return "not scored"
    if not good(mean):
        return "fail"
    return "pass" if np.isfinite(low) and good(low) and good(high) else "unclear"


def sanity_threshold(metric_id: str, cfg: BoardConfig) -> float:
    from ..metrics import METRICS

    name = metric_id.split("@", 1)[0]
    declared = getattr(METRICS.get(name), "sanity_threshold", None) if name in METRICS else None
    return float(cfg.sanity_threshold if declared is None else declared)


def sanity_flags(summary: pd.DataFrame, cfg: BoardConfig) -> pd.Series:
    """Per entry (task, model, method, options): the worst state over its randomisation metrics."""
    sane = summary[summary["metric"].map(is_sanity_metric)]
    states: dict[tuple, str] = {}
    for r in sane.itertuples(index=False):
        s = sanity_state(r.mean, r.ci_low, r.ci_high, r.higher_is_better, sanity_threshold(r.metric, cfg))
        key = tuple(getattr(r, c) for c in ENTRY)
        states[key] = max(states.get(key, s), s, key=SANITY_ORDER.get)
    keys = list(zip(*(summary[c] for c in ENTRY)))
    return pd.Series([states.get(k, "") for k in keys], index=summary.index, dtype=object)
