"""Leaderboard rendering: Markdown, CSV and LaTeX (booktabs body) from a :class:`Board`.

Every file ends with the provenance footer; formats are fixed so the same rows give the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from .aggregate import CELL, direction, is_baseline
from .board import Board, Entry, class_order

# ---- rendering: Markdown, CSV, LaTeX (booktabs body); every file ends with the provenance footer ----

def _num(x: float, spec: str = ".3f") -> str:
    return format(float(x), spec) if x is not None and np.isfinite(x) else ""


def _label(entry: Entry, entries: list[Entry]) -> str:
    """The method's name, with its options when the board holds several variants of it, and the target
    mode when the table holds rows of both modes."""
    label = entry.method
    if sum(e.method == entry.method and e.target_mode == entry.target_mode for e in entries) > 1:
        label += f" ({', '.join(f'{k}={v}' for k, v in json.loads(entry.options).items())})"
    if len({e.target_mode for e in entries}) > 1:
        label += f" [{entry.target_mode} class]"
    return label


def _cell(r: Any, latex: bool = False, ranked: bool = True) -> str:
    """'mean [low, high] n=.. #rank' (plus NaN / failure counts); '—' where nothing was scored."""
    dash = "---" if latex else "—"
    if r is None:
        return dash
    bits = [f"n={r.n}"] + [f"{r.nan} NaN"] * bool(r.nan) + [f"{r.failed} failed"] * bool(r.failed)
    if r.n == 0:
        return f"{dash} (" + ", ".join(bits) + ")"
    ci = f"[{_num(r.ci_low)}, {_num(r.ci_high)}]" if np.isfinite(r.ci_low) else "[no CI]"
    rank = getattr(r, "rank", None) if ranked else None
    rank = None if rank is None or pd.isna(rank) else int(rank)
    mean = _num(r.mean)
    if latex:
        mean = rf"\textbf{{{mean}}}" if rank == 1 else mean
        tail = ", ".join(bits + ([rf"\#{rank}"] if rank else []))
        return rf"{mean} {{\scriptsize {ci} {tail}}}"
    mean = f"**{mean}**" if rank == 1 else mean
    return f"{mean} {ci} " + ", ".join(bits + ([f"#{rank}"] if rank else []))


def _metric_head(metric: str, version: int, latex: bool = False) -> str:
    higher, known = direction(metric)
    arrow = ("↑" if higher else "↓") + ("?" if not known else "")
    if latex:
        arrow = (r"$\uparrow$" if higher else r"$\downarrow$") + ("?" if not known else "")
        return f"{latex_escape(metric)} v{version} {arrow}"
    return f"{metric} v{version} {arrow}"


def latex_escape(text: str) -> str:
    repl = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    return "".join(repl.get(ch, ch) for ch in str(text))


def _lookup(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, Any]:
    return {tuple(getattr(r, k) for k in keys): r for r in frame.itertuples(index=False)}


def _method_label(entry: Entry, entries: list[Entry], latex: bool) -> str:
    """The row label; baselines in italics with a dagger."""
    label = _label(entry, entries)
    if not is_baseline(entry.method):
        return latex_escape(label) if latex else label
    return rf"\textit{{{latex_escape(label)}}}\textsuperscript{{\dag}}" if latex else f"*{label}* †"


def _grid(board: Board, task: str, model: str, latex: bool) -> tuple[list[str], list[list[list[str]]]]:
    """Header and row groups (contenders, baselines) of the main table of one task and model."""
    metrics, entries = board.metrics(task), board.entries(task, model)
    part = board.overall[(board.overall["task"] == task) & (board.overall["model"] == model)]
    cells = _lookup(part, ["method", "method_options", "target_mode", "metric", "metric_version"])
    sanity = _lookup(part, ["method", "method_options", "target_mode"])
    head = ["method"] + [_metric_head(m, v, latex) for m, v in metrics] + (["sanity"] if board.has_sanity(task) else [])
    groups: list[list[list[str]]] = [[], []]
    for e in entries:
        row = [_method_label(e, entries, latex)]
        row += [_cell(cells.get((*e, m, v)), latex) for m, v in metrics]
        if board.has_sanity(task):
            s = sanity.get(tuple(e))
            row.append((s.sanity if s is not None else "") or "not scored")
        groups[is_baseline(e.method)].append(row)
    return head, [g for g in groups if g]


def _class_grid(board: Board, task: str, model: str, metric: tuple[str, int], latex: bool
                ) -> tuple[list[str], list[list[str]]]:
    part = board.by_class[(board.by_class["task"] == task) & (board.by_class["model"] == model)]
    classes = class_order(task, sorted(part["true_class"].unique()))
    part = part[(part["metric"] == metric[0]) & (part["metric_version"] == metric[1])]
    cells = _lookup(part, ["method", "method_options", "target_mode", "true_class"])
    entries = board.entries(task, model)
    rows = []
    for e in entries:
        rows.append([_method_label(e, entries, latex)]
                    + [_cell(cells.get((*e, c)), latex, ranked=False) for c in classes])
    return ["method"] + [latex_escape(c) if latex else c for c in classes], rows


def model_line(board: Board, task: str, model: str) -> str:
    m = board.sources.models.get((task, model), {})
    acc = f"{m['test_accuracy']:.3f} (n={m.get('n_test')})" if m.get("test_accuracy") is not None else "unknown"
    return (f"model {model}: {m.get('arch', '?')}, {m.get('image_size', '?')}x{m.get('image_size', '?')} px, "
            f"profile {m.get('profile', '?')}, device {m.get('device', '?')}, corpus "
            f"{m.get('config', {}).get('corpus', '?')}; test accuracy {acc}")


def notes(board: Board, task: str | None) -> list[str]:
    """Footer notes: missing baselines, unknown metric directions, thin CIs, sanity rule, merges."""
    out = list(board.sources.notes)
    for t in [task] if task else board.tasks():
        for model in board.models(t):
            if not any(is_baseline(e.method) for e in board.entries(t, model)):
                out.append(f"{t}, model {model}: no model-free baseline in these rows, so no number here can be "
                           f"read against the energy confound (add input_energy, uniform, random)")
        for m, _ in board.metrics(t):
            if not direction(m)[1]:
                out.append(f"{t}: metric {m} is not in this installation's metric registry; "
                           f"assumed higher is better (↑?)")
        if board.has_sanity(t):
            out.append(f"{t}: sanity = randomisation check per method: pass when the whole CI lies on the good "
                       f"side of the threshold ({board.cfg.sanity_threshold} unless the metric declares its own), "
                       f"fail when the mean lies on the bad side, else unclear")
        for model in board.models(t):  # tf-shortcut: rows exist only for the samples that provably use the cue
            check = board.sources.models.get((t, model), {}).get("intervention")
            if check:
                out.append(f"{t}, model {model}: scored on the {check['n_provable']} of {check['n']} test samples on "
                           f"which the model provably uses the cue (intervention check: accuracy with the cue "
                           f"{check['accuracy_with_cue']:.3f}, without it {check['accuracy_cue_removed']:.3f}, "
                           f"without the decoy {check['accuracy_decoy_removed']:.3f})")
        few = board.overall[(board.overall["task"] == t) & (board.overall["n"] > 0)]["speakers"]
        if len(few) and few.min() < 5:
            out.append(f"{t}: some cells rest on fewer than 5 speakers (min {few.min()}); their CIs are rough")
    return list(dict.fromkeys(out))


def provenance(board: Board, task: str | None) -> list[str]:
    """One line per run that contributed rows (from its manifest), then how the tables were made."""
    import scipy

    from .. import __version__

    out = []
    for run in board.runs(task):
        m = board.sources.manifests.get(run)
        if m is None:
            out.append(f"run {run}: no manifest in its store (interrupted before it finished?)")
            continue
        prof, corpus = m.get("profile", {}), m.get("corpus", {})
        versions = ", ".join(f"{k} {v}" for k, v in sorted(m.get("versions", {}).items()))
        out.append(f"run {run}, created {m.get('created', '?')}, store {m['_store']}: `{m.get('command', '?')}`; "
                   f"profile {prof.get('name', '?')} ({prof.get('arch', '?')}, {prof.get('image_size', '?')} px); "
                   f"device {m.get('device', '?')} ({m.get('device_name', '?')}); seed "
                   f"{m.get('config', {}).get('seed', '?')}; target class {m.get('target_class', '?')}; corpus "
                   f"{corpus.get('spec') or corpus.get('name', '?')} {corpus.get('fingerprint', '?')}; versions: {versions}")
    c = board.cfg
    out.append(f"tables: `{board.command}` (specxai-bench {__version__}, scipy {scipy.__version__}); cells: mean "
               f"over test samples, {c.confidence:.0%} CI from a cluster bootstrap over speakers "
               f"({c.n_resamples} resamples, percentile method, seed {c.seed})")
    return out


def md_table(head: list[str], rows: list[list[str]]) -> str:
    """A GitHub Markdown table: first column left-aligned, the others right-aligned."""
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(map(esc, head)) + " |", "|" + "|".join(["---"] + ["--:"] * (len(head) - 1)) + "|"]
    return "\n".join(lines + ["| " + " | ".join(map(esc, r)) + " |" for r in rows])


LEGEND = ("Cells: mean over test samples [95 % CI] n=finite values, #rank (1 = best for the arrow's direction, "
          "within one model); bold = rank 1. † baseline (reference row, italics). ↑ higher is better, ↓ lower.")


def markdown_main_table(board: Board, task: str, model: str) -> str:
    """The main table of one task and model: methods x metrics (and the sanity column if any)."""
    head, groups = _grid(board, task, model, latex=False)
    return md_table(head, [r for g in groups for r in g])


def markdown_task(board: Board, task: str) -> str:
    parts = [f"# Leaderboard: {task}", "", LEGEND]
    for model in board.models(task):
        parts += ["", f"## {model_line(board, task, model)}", "", markdown_main_table(board, task, model)]
        parts += ["", f"### {task} by true class (model {model})"]
        for metric in board.metrics(task):
            ch, crows = _class_grid(board, task, model, metric, latex=False)
            parts += ["", f"#### {_metric_head(*metric)}", "", md_table(ch, crows)]
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
    head = ["task", "models", "methods", "metrics", "samples", "speakers", "LaTeX"]
    parts = ["# Leaderboards", "", "Made from stored per-sample rows only (never recomputed). " + LEGEND, "",
             md_table(head, rows), "", "CSV: [leaderboard.csv](leaderboard.csv), "
             "[leaderboard_by_class.csv](leaderboard_by_class.csv) (footer lines start with `#`).", "", "## Notes", ""]
    parts += [f"- {n}" for n in notes(board, None)] or ["- none"]
    parts += ["", "## Provenance", ""] + [f"- {p}" for p in provenance(board, None)]
    return "\n".join(parts) + "\n"


def csv_text(board: Board, per_class: bool) -> str:
    import csv
    import io

    frame = board.by_class if per_class else board.overall
    cols = CELL + ["true_class"] * per_class + ["mean", "ci_low", "ci_high", "n", "speakers", "nan", "failed"]
    extra = [] if per_class else ["rank", "higher_is_better", "sanity"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols + extra + ["baseline", "arch", "image_size", "profile", "device"])
    for r in frame.itertuples(index=False):
        meta = board.sources.models.get((r.task, r.model), {})
        vals = [_num(getattr(r, c), ".6g") if c in ("mean", "ci_low", "ci_high") else getattr(r, c) for c in cols]
        vals += [("" if pd.isna(r.rank) else int(r.rank)), r.higher_is_better, r.sanity] if not per_class else []
        w.writerow(vals + [is_baseline(r.method)] + [meta.get(k, "") for k in ("arch", "image_size", "profile",
                                                                                 "device")])
    return buf.getvalue() + "".join(f"# {line}\n" for line in notes(board, None) + provenance(board, None))


def latex_task(board: Board, task: str, per_class: bool) -> str:
    """booktabs body (\\toprule ... \\bottomrule); a model column only when the task has several models."""
    models = board.models(task)
    blocks = []  # (head, groups) per model (per model and metric for the class table)
    for model in models:
        if per_class:
            for metric in board.metrics(task):
                head, rows = _class_grid(board, task, model, metric, latex=True)
                blocks.append((model, ["metric"] + head, [[[_metric_head(*metric, latex=True)] + r for r in rows]]))
        else:
            blocks.append((model, *_grid(board, task, model, latex=True)))
    multi = len(models) > 1
    width = max(len(h) for _, h, _ in blocks) + multi
    lines = [f"% {task}{' by true class' if per_class else ''}: booktabs table body, e.g. "
             f"\\begin{{tabular}}{{{'l' * (1 + multi + per_class)}{'r' * (width - 1 - multi - per_class)}}}"]
    lines += ["\\toprule", " & ".join((["model"] if multi else []) + blocks[0][1]) + " \\\\"]
    for model, head, groups in blocks:
        for g in groups:
            lines.append("\\midrule")
            lines += [" & ".join(([model] if multi else []) + r + [""] * (width - multi - len(r))) + " \\\\" for r in g]
    lines.append("\\bottomrule")
    return "\n".join(lines + [f"% {x}" for x in notes(board, task) + provenance(board, task)]) + "\n"


def render_all(board: Board) -> dict[str, str]:
    """File name -> text for every table of the board."""
    files = {"index.md": markdown_index(board), "leaderboard.csv": csv_text(board, False),
             "leaderboard_by_class.csv": csv_text(board, True)}
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
