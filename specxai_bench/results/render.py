"""Leaderboard rendering: Markdown pages, CSV files with a JSON sidecar, LaTeX bodies (:mod:`.latex`).

A task page, per model: the main tables, one per metric family (split further so that each fits
160 characters and 8 columns), each followed by the paired difference from the strongest
model-free baseline; then the sanity check (randomisation); then the column legend, differences
from rank 1, per-class tables, notes and provenance. On voicing the main tables are read class by
class (voiced and unvoiced samples test opposite hypotheses). Formats are fixed, so the same rows
give the same bytes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .aggregate import direction
from .board import Board, class_order
from .cells import (
    aliases,
    decimals,
    excess_cell,
    interval,
    label,
    md_table,
    mean_cell,
    pack,
    score_cell,
)
from .latex import latex_task
from .provenance import notes, provenance

FAMILY_ORDER = ("linguistic", "localisation", "faithfulness", "complexity", "robustness", "randomisation", "other")
LEGEND = ("Cells: mean over test samples [95 % CI: speaker-cluster bootstrap, shown with >= 5 speakers] and the "
          "rank (1 = best in the arrow's direction; `=2`: shared, the paired difference from the rank's leader "
          "has a CI containing 0; no rank without CIs). Δ tables: per-sample paired difference from the strongest "
          "model-free baseline (`ref`), * = CI excludes 0. † baseline. Column aliases: see the legend table.")


def family(metric_id: str) -> str:
    from ..metrics import METRICS

    name = metric_id.split("@", 1)[0]
    return METRICS.get(name).family if name in METRICS else "other"


def head(alias: str, metric: str) -> str:
    higher, known = direction(metric)
    return f"{alias} {'↑' if higher else '↓'}{'' if known else '?'}"


def _cells(board: Board, task: str, model: str, part: str) -> pd.DataFrame:
    o = board.overall
    return o[(o["task"] == task) & (o["model"] == model) & (o["part"] == part)]


def _lookup(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, Any]:
    return {tuple(getattr(r, k) for k in keys): r for r in frame.itertuples(index=False)}


def families(board: Board, task: str) -> list[tuple[str, list[tuple[str, int]]]]:
    groups: dict[str, list[tuple[str, int]]] = {}
    for m in board.metrics(task):
        groups.setdefault(family(m[0]), []).append(m)
    return [(f, groups[f]) for f in sorted(groups, key=lambda f: (FAMILY_ORDER.index(f) if f in FAMILY_ORDER
                                                                 else len(FAMILY_ORDER), f))]


def _score_columns(board: Board, task: str, model: str, part: str, metrics: list[tuple[str, int]],
                   kind: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Row labels and (header, cells) per metric: ``kind`` = score, excess (vs the strongest baseline)
    or best (vs rank 1)."""
    entries, names = board.entries(task, model), aliases(board.metrics(task))
    cells = _lookup(_cells(board, task, model, part), ["method", "method_options", "target_mode", "metric",
                                                         "metric_version"])
    labels = [label(e, entries) for e in entries]
    cols = []
    for m in metrics:
        rows = [cells.get((e.method, e.options, e.target_mode, *m)) for e in entries]
        found = [r for r in rows if r is not None]
        d = decimals([r.mean for r in found] + [r.ci_low for r in found] + [r.ci_high for r in found])
        if kind == "score":
            n_full = max((r.n for r in found), default=0)
            col = [score_cell(r, d, n_full) for r in rows]
        elif kind == "excess":
            col = [excess_cell(r, d, r is not None and (r.method, r.method_options) == (r.baseline, r.baseline_options))
                   for r in rows]
        else:
            col = ["—" if r is None or pd.isna(r.d_best)
                   else "best" if (r.method, r.method_options) == (r.best, r.best_options)
                   else interval(r.d_best, r.d_best_low, r.d_best_high, r.d_best_spk, d, sign=True) for r in rows]
        cols.append((head(names[m], m[0]), col))
    return labels, cols


def _tables(labels: list[str], cols: list[tuple[str, list[str]]], footer: list[str] | None = None) -> list[str]:
    out = []
    for h, rows in pack(labels + ([footer[0]] if footer else []),
                        [(c[0], c[1] + ([footer[1 + i]] if footer else [])) for i, c in enumerate(cols)]):
        out.append(md_table(h, rows))
    return out


def _n_row(board: Board, task: str, model: str, part: str, metrics: list[tuple[str, int]]) -> list[str]:
    """The last row of a main table: n / speakers of each column (a cell with fewer says n=)."""
    c = _cells(board, task, model, part)
    out = ["n / speakers"]
    for m, v in metrics:
        col = c[(c["metric"] == m) & (c["metric_version"] == v)]
        out.append(f"{int(col['n'].max())} / {int(col['speakers'].max())}" if len(col) else "")
    return out


def markdown_main_table(board: Board, task: str, model: str) -> str:
    """The main tables of one task and model: per part and metric family, scores and the paired
    difference from the strongest baseline, then the sanity check, and a line naming each column."""
    parts = board.parts(task)
    blocks = []
    for part in parts:
        if len(parts) > 1:
            blocks.append(f"**{part} samples**")
        for fam, metrics in families(board, task):
            labels, cols = _score_columns(board, task, model, part, metrics, "score")
            blocks.append(f"*{fam}*: mean [95 % CI] rank")
            blocks += _tables(labels, cols, _n_row(board, task, model, part, metrics))
            _, excess = _score_columns(board, task, model, part, metrics, "excess")
            if any(c not in ("—", "ref") for _, col in excess for c in col):
                blocks.append(f"*{fam}*: Δ vs the strongest model-free baseline (ref), paired [95 % CI], * = CI "
                              "excludes 0")
                blocks += _tables(labels, excess)
        blocks += sanity_tables(board, task, model, part)
    names = aliases(board.metrics(task))
    blocks.append("Columns: " + "; ".join(f"{names[m]}: {m[0]} v{m[1]} {head('', m[0]).strip()}"
                                         for _, metrics in families(board, task) for m in metrics))
    return "\n\n".join(blocks)


def sanity_tables(board: Board, task: str, model: str, part: str) -> list[str]:
    """The sanity flag with |rho| of the fully randomised model, the other similarities there, and the
    cascading and independent curves of Spearman |A| by stage."""
    s = board.sanity
    if not len(s):
        return []
    s = s[(s["task"] == task) & (s["model"] == model) & (s["part"] == part)]
    if not len(s):
        return []
    entries = [e for e in board.entries(task, model)]
    flags = _lookup(s, ["method", "method_options", "target_mode"])
    casc = _stage(board, "cascade", task, model, part)
    full = casc[casc["stage"] == "all"] if len(casc) else casc
    sims = [x for x in ("spearman", "ssim", "top10") if len(full) and x in set(full["similarity"])]
    fl = _lookup(full, ["method", "method_options", "target_mode", "similarity"]) if len(full) else {}
    labels, cols = [label(e, entries) for e in entries], []
    rows = [flags.get(tuple(e)) for e in entries]
    d = decimals([r.mean for r in rows if r is not None])
    cols.append(("|ρ| full ↓", [mean_cell(r, d) for r in rows]))
    cols.append(("sanity", ["not scored" if r is None else r.state for r in rows]))
    for sim in sims:
        got = [fl.get((*e, sim)) for e in entries]
        cols.append((f"{sim} full ↓", [mean_cell(r, 2) for r in got]))
    out = ["*sanity (model randomisation)*: |Spearman ρ| of |A| between the maps of the trained and the fully "
           "randomised model, mean over seeds and samples [95 % CI]; pass = CI below "
           f"{float(s['threshold'].iloc[0]):g}"] + _tables(labels, cols)
    for mode, frame in (("cascade", casc), ("independent", _stage(board, "independent", task, model, part))):
        f = frame[(frame["similarity"] == "spearman_abs") & (frame["stage"] != "all")] if len(frame) else frame
        if not len(f):
            continue
        stages = list(dict.fromkeys(f.sort_values("stage_index", kind="stable")["stage"]))
        got = _lookup(f, ["method", "method_options", "target_mode", "stage"])
        cols = [(st, [mean_cell(got.get((*e, st)), 2) for e in entries]) for st in stages]
        what = "randomised from fc down to the stage" if mode == "cascade" else "only the stage randomised"
        out.append(f"*{mode} randomisation* ({what}): Spearman ρ of |A|, mean over seeds [95 % CI]")
        out += _tables(labels, cols)
    return out


def _stage(board: Board, mode: str, task: str, model: str, part: str) -> pd.DataFrame:
    f = board.stages.get(mode)
    if f is None or not len(f):
        return pd.DataFrame(columns=["method", "method_options", "target_mode", "similarity", "stage"])
    return f[(f["task"] == task) & (f["model"] == model) & (f["part"] == part)]


def legend(board: Board, task: str) -> str:
    names = aliases(board.metrics(task))
    rows = [[names[m], f"`{m[0]}`", str(m[1]), "higher" if direction(m[0])[0] else "lower", family(m[0])]
            for _, metrics in families(board, task) for m in metrics]
    return md_table(["alias", "metric id", "version", "better", "family"], rows)


def class_tables(board: Board, task: str, model: str) -> list[str]:
    part = board.by_class[(board.by_class["task"] == task) & (board.by_class["model"] == model)]
    classes = class_order(task, sorted(part["true_class"].unique()))
    entries, names, out = board.entries(task, model), aliases(board.metrics(task)), []
    for m in board.metrics(task):
        sub = part[(part["metric"] == m[0]) & (part["metric_version"] == m[1])]
        if not len(sub):
            continue
        cells = _lookup(sub, ["method", "method_options", "target_mode", "true_class"])
        d = decimals(list(sub["mean"]) + list(sub["ci_low"]) + list(sub["ci_high"]))
        cols = []
        for c in classes:
            got = [cells.get((*e, c)) for e in entries]
            n_full = max((r.n for r in got if r is not None), default=0)
            cols.append((c, [score_cell(r, d, n_full) for r in got]))
        footer = ["n / speakers"] + [f"{int(sub.loc[sub['true_class'] == c, 'n'].max())} / "
                                     f"{int(sub.loc[sub['true_class'] == c, 'speakers'].max())}" for c in classes]
        out.append(f"*{head(names[m], m[0])}* (`{m[0]}` v{m[1]})")
        out += _tables([label(e, entries) for e in entries], cols, footer)
    return out


def model_line(board: Board, task: str, model: str) -> str:
    m = board.sources.models.get((task, model), {})
    acc = f"{m['test_accuracy']:.3f} (n={m.get('n_test')})" if m.get("test_accuracy") is not None else "unknown"
    return (f"model {model}: {m.get('arch', '?')}, {m.get('image_size', '?')}x{m.get('image_size', '?')} px, "
            f"profile {m.get('profile', '?')}, device {m.get('device', '?')}, corpus "
            f"{m.get('config', {}).get('corpus', '?')}; test accuracy {acc}")


def markdown_task(board: Board, task: str) -> str:
    parts = [f"# Leaderboard: {task}", "", LEGEND]
    for model in board.models(task):
        parts += ["", f"## {model_line(board, task, model)}", "", markdown_main_table(board, task, model)]
        parts += ["", "### Column legend", "", legend(board, task)]
        ranked = []
        for part in board.parts(task):
            for fam, metrics in families(board, task):
                labels, cols = _score_columns(board, task, model, part, metrics, "best")
                if any(c not in ("—", "best") for _, col in cols for c in col):
                    ranked += [f"*{fam}{'' if part == 'all' else f', {part} samples'}*"] + _tables(labels, cols)
        if ranked:
            parts += ["", "### Paired difference from rank 1 (method − best) [95 % CI]", "", "\n\n".join(ranked)]
        parts += ["", f"### {task} by true class (model {model})", "", "\n\n".join(class_tables(board, task, model))]
    parts += ["", "## Notes", ""] + ([f"- {n}" for n in notes(board, task)] or ["- none"])
    parts += ["", "## Provenance", ""] + [f"- {p}" for p in provenance(board, task)]
    return "\n".join(parts) + "\n"


def markdown_index(board: Board) -> str:
    rows = []
    for t in board.tasks():
        part = board.sources.rows[board.sources.rows["task"] == t]
        rows.append([f"[{t}]({t}.md)", ", ".join(board.models(t)), str(part["method"].nunique()),
                     str(len(board.metrics(t))), str(part["sample"].nunique()), str(part["speaker"].nunique()),
                     f"[{t}.tex]({t}.tex), [{t}_by_class.tex]({t}_by_class.tex)"])
    head_ = ["task", "models", "methods", "metrics", "samples", "speakers", "LaTeX"]
    parts = ["# Leaderboards", "", "Made from stored per-sample rows only (never recomputed). " + LEGEND, "",
             md_table(head_, rows), "", "CSV (plain `pandas.read_csv`): [leaderboard.csv](leaderboard.csv), "
             "[leaderboard_by_class.csv](leaderboard_by_class.csv), [randomisation.csv](randomisation.csv); "
             "provenance, notes and column aliases: [leaderboard.json](leaderboard.json).", "", "## Notes", ""]
    parts += [f"- {n}" for n in notes(board, None)] or ["- none"]
    parts += ["", "## Provenance", ""] + [f"- {p}" for p in provenance(board, None)]
    return "\n".join(parts) + "\n"


def render_all(board: Board) -> dict[str, str]:
    """File name -> text for every table of the board."""
    from .export import csv_text, randomisation_csv, sidecar_json

    files = {"index.md": markdown_index(board), "leaderboard.csv": csv_text(board, False),
             "leaderboard_by_class.csv": csv_text(board, True), "randomisation.csv": randomisation_csv(board),
             "leaderboard.json": sidecar_json(board)}
    for t in board.tasks():
        files[f"{t}.md"] = markdown_task(board, t)
        files[f"{t}.tex"] = latex_task(board, t, per_class=False)
        files[f"{t}_by_class.tex"] = latex_task(board, t, per_class=True)
    return files


def format_band_check(task: str, check: dict[str, Any]) -> str:
    """The line printed under the task's table."""
    verdict = ("The model relies on the band (confirmed)." if check["relies_on_band"] else
               "WARNING: small drop, the model does not rely on the band (not confirmed); "
               "shortcut_recovery cannot be read as faithfulness here")
    return (f"band removal test [{task}] ({check['n']} test samples, chance {check['chance']:.3f}): accuracy with the "
            f"band {check['accuracy_with_band']:.3f}, band removed {check['accuracy_band_removed']:.3f} "
            f"(drop {check['drop']:.3f}); next class's band planted instead: {check['follows_moved_band']:.3f} of "
            f"predictions follow it. {verdict}")


__all__ = ["format_band_check", "latex_task", "markdown_index", "markdown_main_table", "markdown_task", "md_table",
           "model_line", "notes", "provenance", "render_all"]
