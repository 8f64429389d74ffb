"""The metric-agreement page: headline (agreement with ground truth), matrices, heat maps, CSV.

Files (written together, atomically, by `specxai-bench meta agreement`): ``meta-agreement.md``,
``meta-agreement.csv`` (one line per metric pair, with its interval) and one heat map per
(task, model, target mode), ``meta-agreement-<task>[-<model>][-<mode>].png`` and ``.pdf``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .agreement import Agreement, AgreementConfig, family_agreement, metric_agreement
from .plots import RC, figure_files
from .render import md_table

STEM = "meta-agreement"


def _tau(value: float, low: float = np.nan, high: float = np.nan, why: str = "") -> str:
    if not np.isfinite(value):
        return why or "—"
    ci = f" [{low:+.2f}, {high:+.2f}]" if np.isfinite(low) else ""
    return f"{value:+.2f}{ci}"


def _ci_note(a: Agreement, cfg: AgreementConfig) -> str:
    return "" if a.speakers >= cfg.min_speakers else f" (no CI: {a.speakers} speakers, fewer than {cfg.min_speakers})"


def _title(a: Agreement) -> str:
    return (f"{a.task} — model {a.model}, target {a.target_mode}: {len(a.methods)} methods, {a.samples} samples "
            f"(those every metric scored), {a.speakers} speakers")


def figure_stem(a: Agreement, results: list[Agreement]) -> str:
    """The heat map's file stem: the task, plus model and mode where the task has several."""
    same = [r for r in results if r.task == a.task]
    parts = [STEM, a.task] + ([a.model] if len({r.model for r in same}) > 1 else []) + (
        [a.target_mode] if len({r.target_mode for r in same}) > 1 else [])
    return "-".join(parts)


def headline(results: list[Agreement], cfg: AgreementConfig) -> list[str]:
    """Per table with ground-truth metrics: the families' and the metrics' mean tau with them."""
    out = []
    for a in results:
        if not a.ground_truth():
            continue
        gt = ", ".join(a.metrics[i] for i in a.ground_truth())
        fams = family_agreement(a, cfg)
        mets = metric_agreement(a, cfg)
        out += [f"### {_title(a)}", "", f"Ground-truth metrics: {gt}. Mean Kendall tau of each family's (each "
                f"metric's) method ranking with theirs{_ci_note(a, cfg)}:", "",
                md_table(["family", "metrics", "mean tau with ground truth [95% CI]", "pairs"],
                         [[f["family"], str(f["metrics"]), _tau(f["tau"], f["low"], f["high"]), str(f["pairs"])]
                          for f in fams]), "",
                md_table(["metric", "family", "mean tau with ground truth [95% CI]"],
                         [[m["metric"], m["family"], _tau(m["tau"], m["low"], m["high"])] for m in mets]), ""]
    return out or ["No table here holds a ground-truth metric (family ground_truth: the shortcut tasks), so there "
                   "is no headline; the matrices below compare the metrics with each other.", ""]


def matrix(a: Agreement, cfg: AgreementConfig) -> list[str]:
    """The tau matrix (numbered columns, so it fits a screen) and the methods it ranks."""
    m = len(a.metrics)
    rows = []
    for i in range(m):
        cells = []
        for j in range(m):
            why = f"<{cfg.min_methods} methods" if a.n_methods[i, j] < cfg.min_methods else ""
            cells.append(_tau(a.tau[i, j], why=why))
        rows.append([f"{i + 1}. {a.metrics[i]} ({a.families[i]})", *cells])
    return [f"### {_title(a)}", "", md_table(["metric", *[str(j + 1) for j in range(m)]], rows), "",
            f"Methods ranked: {', '.join(a.methods)}.", ""]


def csv_text(results: list[Agreement], footer: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["task", "model", "target_mode", "metric_a", "family_a", "metric_b", "family_b", "tau", "ci_low",
                "ci_high", "n_methods", "speakers"])
    for a in results:
        for i in range(len(a.metrics)):
            for j in range(len(a.metrics)):
                w.writerow([a.task, a.model, a.target_mode, a.metrics[i], a.families[i], a.metrics[j], a.families[j],
                            *(format(v, ".6g") for v in (a.tau[i, j], a.low[i, j], a.high[i, j])),
                            int(a.n_methods[i, j]), a.speakers])
    return buf.getvalue() + "".join(f"# {line}\n" for line in footer)


def heatmap(a: Agreement) -> Figure:
    """The tau matrix as a diverging heat map (-1 blue, +1 red), values written in."""
    n = len(a.metrics)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(0.42 * n + 3.2, 0.42 * n + 1.6), dpi=110, layout="constrained")
        ax = fig.subplots()
        im = ax.imshow(np.ma.masked_invalid(a.tau), cmap="RdBu_r", vmin=-1, vmax=1)
        for (i, j), v in np.ndenumerate(a.tau):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=5,
                        color="white" if abs(v) > 0.6 else "black")
        ax.set_xticks(range(n), [str(k + 1) for k in range(n)])
        ax.set_yticks(range(n), [f"{k + 1}. {m}" for k, m in enumerate(a.metrics)], fontsize=5)
        ax.set_title(f"Kendall tau between metric rankings of {len(a.methods)} methods\n{a.task}, model {a.model}, "
                     f"target {a.target_mode}", fontsize=6)
        fig.colorbar(im, ax=ax, shrink=0.7, label="tau")
    return fig


def page_files(results: list[Agreement], cfg: AgreementConfig, out: Path, footer: list[str]) -> dict[Path, str | bytes]:
    """Every file of the page, for one atomic write."""
    intro = [
        "Do two metrics rank the attribution methods alike? For each pair of metrics: Kendall's tau-b between "
        "the methods' mean scores under each (each metric signed so that higher is better; methods that one of "
        f"the two leaves unscored are dropped, and a pair needs at least {cfg.min_methods} methods). 1 = the same "
        "order, -1 = reversed, 0 = unrelated. Intervals: speakers resampled with replacement "
        f"({cfg.n_resamples} resamples, percentile {cfg.confidence:.0%}, seed {cfg.seed}; the same draw for every "
        f"method and metric), shown only with at least {cfg.min_speakers} speakers. Definitions: docs/usage.md "
        "(\"Metric agreement\")."]
    body = ["# Metric agreement", "", *intro, "", "## Agreement with ground truth", "", *headline(results, cfg),
            "## Matrices", ""]
    files: dict[Path, str | bytes] = {}
    for a in results:
        stem = figure_stem(a, results)
        body += matrix(a, cfg) + [f"![{stem}]({stem}.png)", ""]
        fig = heatmap(a)
        files.update(figure_files(fig, out / stem))
    body += ["## Provenance", "", *[f"- {line}" for line in footer]]
    files[out / f"{STEM}.md"] = "\n".join(body) + "\n"
    files[out / f"{STEM}.csv"] = csv_text(results, footer)
    return files
