"""Comparison tables made only from the stored per-sample rows (pandas + tabulate)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from tabulate import tabulate

from .results import ResultStore


Scope = dict[tuple[str, str], set[str]]  # (task, model) -> the sample ids a table covers


def summary_frame(store: ResultStore, scope: Scope | None = None, metrics: set[str] | None = None) -> pd.DataFrame:
    """One row per (task, model, method, metric): mean, n (finite values), NaN and failure counts.

    ``scope`` restricts rows to a run's (task, model) pairs and samples, whichever run computed them
    (a resumed or repeated run reuses stored rows); ``metrics`` to the run's metric ids.
    """
    rows = store.rows_frame()
    if scope is not None:
        keep = [sample in scope.get((task, model), ()) for task, model, sample in
                zip(rows["task"], rows["model"], rows["sample"])]
        rows = rows[keep]
    if metrics is not None:
        rows = rows[rows["metric"].isin(metrics)]
    if rows.empty:
        return pd.DataFrame(columns=["task", "model", "method", "metric", "mean", "n", "nan", "failed"])
    rows = rows.assign(failed=rows["error"].notna(), isnan=rows["value"].isna() & rows["error"].isna())
    g = rows.groupby(["task", "model", "method", "metric"], sort=True)
    return g.agg(mean=("value", "mean"), n=("value", "count"), nan=("isnan", "sum"),
                 failed=("failed", "sum")).reset_index()


def _cell(mean: float, n: int, nan: int, failed: int) -> str:
    n, nan, failed = int(n), int(nan), int(failed)
    txt = "—" if n == 0 or not np.isfinite(mean) else f"{mean:.3f}"
    extra = [f"n={n}"] + ([f"{nan} NaN"] if nan else []) + ([f"{failed} failed"] if failed else [])
    return f"{txt} ({', '.join(extra)})"


def task_tables(store: ResultStore, methods: list[str] | None = None, scope: Scope | None = None,
                metrics: set[str] | None = None, tablefmt: str = "github", target: str = "true") -> dict[str, str]:
    """Task -> printable table: rows are methods, columns test accuracy and each metric."""
    summary = summary_frame(store, scope, metrics)
    models = store.models_frame().set_index(["task", "model"])
    timings = store.timings_frame()
    out = {}
    for (task, model), part in summary.groupby(["task", "model"], sort=True):
        meta = json.loads(models.loc[(task, model), "meta"])
        order = [m for m in (methods or sorted(part["method"].unique())) if m in set(part["method"])]
        metric_ids = sorted(part["metric"].unique())
        body = []
        speed = []
        for method in order:
            sub = part[part["method"] == method].set_index("metric")
            t = timings[(timings["task"] == task) & (timings["model"] == model) & (timings["method"] == method)]
            t = t[t["samples"] > 0]
            if len(t):
                speed.append(f"{method} {t['seconds'].sum() / t['samples'].sum():.4f}")
            body.append([method, f"{meta['test_accuracy']:.3f} (n={meta['n_test']})"]
                        + [_cell(*sub.loc[m, ["mean", "n", "nan", "failed"]]) if m in sub.index else "—"
                           for m in metric_ids])
        header = (f"### {task} — profile {meta.get('profile')}, {meta['arch']}, {meta['image_size']}x{meta['image_size']}"
                  f" px, device {meta['device']}, model {model}; mean over test samples (n), target class: "
                  f"{target}")
        table = tabulate(body, headers=["method", "test accuracy"] + metric_ids, tablefmt=tablefmt)
        if "band_removal" in meta:  # the shortcut task: does the model use the planted band?
            from .shortcut import format_band_check
            table += f"\n\n{format_band_check(task, meta['band_removal'])}"
        # timings vary from run to run, so they stay out of the (reproducible) table
        table += f"\n\nseconds per sample (attribution, this machine): {', '.join(speed) or 'none computed in this run'}"
        out[task] = f"{header}\n\n{table}\n"
    return out
