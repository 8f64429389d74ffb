"""Aggregation of per-sample rows into cells: the one place where means, intervals, sanity flags and
randomisation curves are made (used by `run`, `leaderboard`, `report` and the studies); paired
comparisons and shared ranks are in :mod:`.paired`.

The CI is a cluster bootstrap: speakers are resampled with replacement and all their samples
come along, since segments of one speaker are not independent. It is shown only with at least
``BoardConfig.min_speakers`` (5) speakers behind a cell: with two, the "interval" is just the two
speaker means. What a plugin is (a baseline method, a sanity metric, a metric's direction) is read
from the registries' metadata.
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
    min_speakers: int = 5  # fewer speakers behind a cell: no CI (the cell says so), no earned rank


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


def gated(iv: Interval, min_speakers: int) -> Interval:
    """The interval without its CI when fewer than ``min_speakers`` clusters stand behind it."""
    return iv if iv.clusters >= min_speakers else iv._replace(low=np.nan, high=np.nan)


def speaker_bootstrap(values: np.ndarray, speakers: np.ndarray, cfg: BoardConfig) -> Interval:
    """:func:`cluster_bootstrap` with the board's settings, gated by ``cfg.min_speakers``."""
    iv = cluster_bootstrap(values, speakers, n_resamples=cfg.n_resamples, confidence=cfg.confidence, seed=cfg.seed)
    return gated(iv, cfg.min_speakers)


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
    """One row per group: mean, CI (NaN with fewer than ``cfg.min_speakers`` speakers), n (finite values),
    speakers, NaN and failure counts."""
    out = []
    for key, g in rows.groupby(by, sort=True):
        iv = speaker_bootstrap(g["value"].to_numpy(np.float64), g["speaker"].to_numpy(), cfg)
        failed = int(g["error"].notna().sum())
        out.append({**dict(zip(by, key)), "mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high, "n": iv.n,
                    "speakers": iv.clusters, "nan": int(g["value"].isna().sum()) - failed, "failed": failed})
    return pd.DataFrame(out, columns=[*by, "mean", "ci_low", "ci_high", "n", "speakers", "nan", "failed"])


def sanity_state(mean: float, low: float, high: float, higher: bool, threshold: float) -> str:
    """pass: whole CI on the good side of the threshold; fail: mean on the bad side; else unclear
    (including a cell without CI: too few speakers)."""
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


SANITY = ENTRY + ["part"]  # one sanity flag per entry (and per class on tasks whose classes are read apart)


def _flag_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows that decide the sanity flags, one value per (entry, part, sample): |rho| of the fully
    randomised model pooled over seeds for randomisation ids; the value itself for another sanity metric."""
    from ..metrics.randomisation import is_flag_cell, parse_id

    ids = rows["metric"].unique()
    randomisation = {m for m in ids if parse_id(m) is not None}
    flag_ids = {m for m in randomisation if is_flag_cell(m)} | {m for m in ids if m not in randomisation
                                                                 and is_sanity_metric(m)}
    part = rows[rows["metric"].isin(flag_ids)].copy()
    if part.empty:
        return part.assign(source="")
    cfgs = {m: parse_id(m) for m in flag_ids}
    # seeds pooled: the source of a randomisation flag is its id without the seed
    part["source"] = [m if cfgs[m] is None else m.rsplit(",seed", 1)[0] if ",seed" in m else m for m in part["metric"]]
    part["value"] = [abs(v) if cfgs[m] is not None else v for v, m in zip(part["value"], part["metric"])]
    keys = SANITY + ["source", "sample"]
    return part.groupby(keys, sort=True, dropna=False).agg(value=("value", "mean"), speaker=("speaker", "first"),
                                                          error=("error", "first")).reset_index()


def sanity_frame(rows: pd.DataFrame, cfg: BoardConfig) -> pd.DataFrame:
    """Per entry and part: the worst state over its sanity sources, with the deciding mean |rho|, CI, n."""
    from ..metrics.randomisation import parse_id

    flags = _flag_rows(rows)
    cols = SANITY + ["state", "source", "mean", "ci_low", "ci_high", "n", "speakers", "threshold"]
    if flags.empty:
        return pd.DataFrame(columns=cols)
    summary = summarise(flags, SANITY + ["source"], cfg)
    best: dict[tuple, dict] = {}
    for r in summary.itertuples(index=False):
        metric_id = r.source
        higher = direction(metric_id)[0] if parse_id(metric_id) is None else False
        threshold = sanity_threshold(metric_id, cfg)
        state = sanity_state(r.mean, r.ci_low, r.ci_high, higher, threshold)
        key = tuple(getattr(r, c) for c in SANITY)
        rec = {**dict(zip(SANITY, key)), "state": state, "source": metric_id, "mean": r.mean, "ci_low": r.ci_low,
               "ci_high": r.ci_high, "n": r.n, "speakers": r.speakers, "threshold": threshold}
        if key not in best or SANITY_ORDER[state] > SANITY_ORDER[best[key]["state"]]:
            best[key] = rec
    return pd.DataFrame(list(best.values()), columns=cols)


STAGE_COLUMNS = ["task", "model", "target_mode", "method", "method_options", "similarity", "stage", "stage_index",
                 "mean", "ci_low", "ci_high", "n", "speakers", "seeds_sd"]


def stage_frame(rows: pd.DataFrame, mode: str, cfg: BoardConfig = BoardConfig(), by: tuple[str, ...] = ()
                ) -> pd.DataFrame:
    """Randomisation rows of one ``mode`` (cascade or independent) per method, similarity and stage:
    each sample's similarity averaged over the seeds, the mean over samples with its speaker CI, and
    ``seeds_sd`` = the SD of the per-seed means (NaN with one seed). ``by``: extra keys (e.g. part)."""
    from ..metrics.randomisation import parse_id, stage_index

    cfgs = {m: parse_id(m) for m in rows["metric"].unique()}
    keep = {m for m, c in cfgs.items() if c is not None and c["mode"] == mode}
    part = rows[rows["metric"].isin(keep)]
    cols = STAGE_COLUMNS[:5] + list(by) + STAGE_COLUMNS[5:]
    if part.empty:
        return pd.DataFrame(columns=cols)
    part = part.assign(similarity=[cfgs[m]["similarity"] for m in part["metric"]],
                       stage=[cfgs[m]["upto"] for m in part["metric"]], seed=[cfgs[m]["seed"] for m in part["metric"]])
    keys = ENTRY + list(by) + ["similarity", "stage"]
    out = []
    for key, g in part.groupby(keys, sort=True):
        per_sample = g.groupby("sample").agg(value=("value", "mean"), speaker=("speaker", "first"))
        iv = speaker_bootstrap(per_sample["value"].to_numpy(np.float64), per_sample["speaker"].to_numpy(), cfg)
        seed_means = g.groupby("seed")["value"].mean()
        sd = float(seed_means.std(ddof=1)) if seed_means.notna().sum() > 1 else np.nan
        rec = dict(zip(keys, key))
        out.append({**rec, "stage_index": stage_index(rec["stage"]), "mean": iv.mean, "ci_low": iv.low,
                    "ci_high": iv.high, "n": iv.n, "speakers": iv.clusters, "seeds_sd": sd})
    frame = pd.DataFrame(out, columns=cols)
    return frame.sort_values(ENTRY + list(by) + ["similarity", "stage_index", "stage"], kind="stable"
                             ).reset_index(drop=True)


def cascade_frame(rows: pd.DataFrame, cfg: BoardConfig = BoardConfig()) -> pd.DataFrame:
    """The cascading randomisation curves (one per method and similarity; stage_index 1 = fc ... 6 = conv1,
    7 = all), classes pooled: columns ``STAGE_COLUMNS``. The report's figure is drawn from this frame."""
    return stage_frame(rows, "cascade", cfg)
