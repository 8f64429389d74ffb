"""Leaderboards: stored per-sample rows from one or more stores -> tables with 95 % bootstrap CIs.

Tables are made only from the rows (never recomputed) and the same rows give the same bytes:
fixed float formats, stable sort orders, dates taken from the run manifests, a seeded bootstrap.
The CI is a cluster bootstrap: speakers are resampled with replacement and all their samples
come along, since segments of one speaker are not independent. Every file is written to a temp
file first and swapped in with ``os.replace`` only once all are written, so an interrupted
regeneration leaves the previous files whole. docs/leaderboards.md describes the output.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from .errors import ConfigError
from .results import ResultStore

BASELINES = ("input_energy", "uniform", "random")
SANITY_PREFIXES = ("randomisation", "model_parameter_randomisation")
KEY = ["task", "model", "method", "method_options", "metric", "metric_version", "sample"]
ENTRY = ["task", "model", "method", "method_options"]
CELL = ENTRY + ["metric", "metric_version"]
SANITY_ORDER = {"fail": 3, "unclear": 2, "pass": 1, "not scored": 0}


@dataclass(frozen=True)
class BoardConfig:
    """How cells are aggregated; part of every table's provenance footer."""

    n_resamples: int = 9999
    confidence: float = 0.95
    seed: int = 0
    sanity_threshold: float = 0.5  # used when a randomisation metric does not declare its own


@dataclass
class Sources:
    """The merged contents of the stores given, in the order given."""

    paths: list[str]
    rows: pd.DataFrame
    models: dict[tuple[str, str], dict[str, Any]]
    manifests: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)


class Interval(NamedTuple):
    mean: float
    low: float
    high: float
    n: int
    clusters: int


def load_stores(paths: list[str | Path]) -> Sources:
    """Read and merge stores; a key present in several stores counts once (the first store wins)."""
    frames, models, manifests, notes = [], {}, {}, []
    for p in paths:
        if not Path(p).is_file():
            raise ConfigError(f"results store {p} does not exist; give the results.sqlite a run wrote")
        with ResultStore(Path(p)) as store:
            frames.append(store.rows_frame().assign(store=str(p)))
            mf = store.models_frame()
            for task, model, meta in zip(mf["task"], mf["model"], mf["meta"]):
                models.setdefault((task, model), json.loads(meta))
            for run, man in store.manifests().items():
                manifests.setdefault(run, {**man, "_store": str(p)})
    rows = pd.concat(frames, ignore_index=True)
    if rows.empty:
        raise ConfigError(f"no result rows in {', '.join(map(str, paths))}; run `specxai-bench run` first")
    dup = rows.duplicated(KEY, keep="first")
    if dup.any():
        differ = rows.groupby(KEY)["value"].nunique(dropna=False).gt(1).sum()
        notes.append(f"{int(dup.sum())} row(s) found in more than one store were counted once (first store "
                     f"given wins); {int(differ)} of them had differing values")
    rows = rows[~dup].sort_values(KEY, kind="stable").reset_index(drop=True)
    modes = {run: man.get("target_class") for run, man in manifests.items()}
    rows["true_class"] = [true_class(t, lab, tg, modes.get(run))
                          for t, lab, tg, run in zip(rows["task"], rows["label"], rows["target"], rows["run"])]
    return Sources([str(p) for p in paths], rows, models, manifests, notes)


def true_class(task: str, label: str, target: int | None = None, target_mode: str | None = None) -> str:
    """The sample's true class from its phone label (the label itself for a task not registered here).

    On the shortcut task the class is dealt independently of the label, so only the attributed
    target tells it, and only in runs that attributed the true class ("unknown" otherwise).
    """
    from .tasks import ALL_TASKS

    t = ALL_TASKS.get(task)
    if t is None:
        return label
    if t.shortcut is not None:
        ok = target_mode == "true" and target is not None and 0 <= int(target) < len(t.classes)
        return t.classes[int(target)] if ok else "unknown"
    return t.label_map.get(label, label)


def class_order(task: str, present: list[str]) -> list[str]:
    from .tasks import ALL_TASKS

    known = list(ALL_TASKS[task].classes) if task in ALL_TASKS else []
    return [c for c in known if c in present] + sorted(c for c in present if c not in known)


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
    from .metrics import METRICS

    name = metric_id.split("@", 1)[0]
    return (bool(METRICS.get(name).higher_is_better), True) if name in METRICS else (True, False)


def is_baseline(method: str) -> bool:
    """One of the three reference maps (kept by name: importing the method registry costs seconds)."""
    return method in BASELINES


def is_sanity_metric(metric_id: str) -> bool:
    return metric_id.split("@", 1)[0].startswith(SANITY_PREFIXES)


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
    """Rank 1 = best within (task, model, metric), honouring each metric's direction; ties share."""
    higher = summary["metric"].map(lambda m: direction(m)[0]).astype(bool)
    key = summary["mean"].where(~higher, -summary["mean"])
    rank = key.groupby([summary[c] for c in ("task", "model", "metric", "metric_version")]).rank(method="min")
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
    from .metrics import METRICS

    name = metric_id.split("@", 1)[0]
    declared = getattr(METRICS.get(name), "sanity_threshold", None) if name in METRICS else None
    return float(cfg.sanity_threshold if declared is None else declared)


def sanity_flags(summary: pd.DataFrame, cfg: BoardConfig) -> pd.Series:
    """Per entry (task, model, method, options): the worst state over its randomisation metrics."""
    sane = summary[summary["metric"].map(is_sanity_metric)]
    states: dict[tuple, str] = {}
    for r in sane.itertuples(index=False):
        s = sanity_state(r.mean, r.ci_low, r.ci_high, r.higher_is_better, sanity_threshold(r.metric, cfg))
        key = (r.task, r.model, r.method, r.method_options)
        states[key] = max(states.get(key, s), s, key=SANITY_ORDER.get)
    keys = list(zip(*(summary[c] for c in ENTRY)))
    return pd.Series([states.get(k, "") for k in keys], index=summary.index, dtype=object)


@dataclass
class Board:
    """Everything the renderers need: aggregated cells plus the sources' metadata."""

    sources: Sources
    cfg: BoardConfig
    command: str
    overall: pd.DataFrame
    by_class: pd.DataFrame

    def tasks(self) -> list[str]:
        """Registered tasks in their registry order (the paper's, then the study's), then any others by name."""
        from .tasks import ALL_TASKS

        present = set(self.overall["task"])
        return [t for t in ALL_TASKS if t in present] + sorted(present - set(ALL_TASKS))

    def models(self, task: str) -> list[str]:
        return sorted(self.overall.loc[self.overall["task"] == task, "model"].unique())

    def metrics(self, task: str) -> list[tuple[str, int]]:
        part = self.overall[self.overall["task"] == task]
        return sorted({(m, int(v)) for m, v in zip(part["metric"], part["metric_version"])})

    def has_sanity(self, task: str) -> bool:
        return any(is_sanity_metric(m) for m, _ in self.metrics(task))

    def entries(self, task: str, model: str) -> list[tuple[str, str | None]]:
        """(method, options) rows in table order: contenders by name, then the baselines; a baseline
        missing from the stores gets options None (an empty reference row)."""
        part = self.overall[(self.overall["task"] == task) & (self.overall["model"] == model)]
        have = sorted(set(zip(part["method"], part["method_options"])))
        contenders = [e for e in have if not is_baseline(e[0])]
        base = [e for name in BASELINES for e in (([e for e in have if e[0] == name]) or [(name, None)])]
        return contenders + base

    def missing_baselines(self, task: str, model: str) -> list[str]:
        return [m for m, opts in self.entries(task, model) if opts is None]

    def runs(self, task: str | None = None) -> list[str]:
        rows = self.sources.rows
        return sorted((rows if task is None else rows[rows["task"] == task])["run"].unique())


def build_board(paths: list[str | Path], cfg: BoardConfig = BoardConfig(), command: str | None = None) -> Board:
    """Load, merge and aggregate: overall cells (ranked, sanity-flagged) and per-class cells."""
    src = load_stores(paths)
    overall = add_ranks(summarise(src.rows, CELL, cfg))
    overall["sanity"] = sanity_flags(overall, cfg)
    by_class = summarise(src.rows, CELL + ["true_class"], cfg)
    return Board(src, cfg, command or default_command(src.paths, None, cfg), overall, by_class)


def default_command(paths: list[str], out: str | Path | None, cfg: BoardConfig) -> str:
    """The command line that regenerates these tables (options shown only where not default)."""
    parts = ["specxai-bench leaderboard --results", *paths] + ([f"--out {out}"] if out is not None else [])
    base = BoardConfig()
    for flag, attr in (("--n-resamples", "n_resamples"), ("--seed", "seed"),
                       ("--sanity-threshold", "sanity_threshold")):
        if getattr(cfg, attr) != getattr(base, attr):
            parts.append(f"{flag} {getattr(cfg, attr)}")
    return " ".join(parts)


def write_atomic(files: dict[Path, str | bytes]) -> list[Path]:
    """Write every file to a temp file beside it, then swap all in; on any error the temps are
    removed and files not yet swapped keep their old contents. Unchanged files are not touched."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, content in sorted(files.items()):
            data = content.encode("utf-8") if isinstance(content, str) else content
            if path.is_file() and path.read_bytes() == data:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temps.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
    return sorted(files)


def regenerate(paths: list[str | Path], out: str | Path, cfg: BoardConfig = BoardConfig(),
               command: str | None = None) -> list[Path]:
    """`specxai-bench leaderboard`: all tables for the stores, written atomically into ``out``."""
    from .leaderboard_render import render_all

    board = build_board(paths, cfg, command or default_command([str(p) for p in paths], out, cfg))
    return write_atomic({Path(out) / name: text for name, text in render_all(board).items()})
