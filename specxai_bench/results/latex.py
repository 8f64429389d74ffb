"""LaTeX booktabs bodies of a board: the main table (all score metrics of a task, by model and part, the
sanity flag last) and the per-class tables; column aliases, notes and provenance as ``%`` lines."""

from __future__ import annotations

from typing import Any

import numpy as np

from .aggregate import direction, is_baseline
from .board import Board, Entry, class_order
from .cells import aliases, decimals, label, num, rank_text


def latex_escape(text: str) -> str:
    repl = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    return "".join(repl.get(ch, ch) for ch in str(text))


def _cell(r: Any, d: int) -> str:
    if r is None:
        return "---"
    if r.n == 0:
        return "---"
    ci = (f"[{num(r.ci_low, d)}, {num(r.ci_high, d)}]" if np.isfinite(r.ci_low) else f"({r.speakers} spk: no CI)")
    rank = rank_text(getattr(r, "rank", None), bool(getattr(r, "rank_shared", False)))
    mean = rf"\textbf{{{num(r.mean, d)}}}" if rank.lstrip("=") == "1" else num(r.mean, d)
    tail = ", ".join([f"n={r.n}"] + ([rank] if rank else []))
    return rf"{mean} {{\scriptsize {ci} {tail}}}"


def _label(e: Entry, entries: list[Entry]) -> str:
    text = label(e, entries).removesuffix(" †").strip("*")
    return rf"\textit{{{latex_escape(text)}}}\textsuperscript{{\dag}}" if is_baseline(e.method) else latex_escape(text)


def _head(alias: str, metric: str) -> str:
    higher, known = direction(metric)
    arrow = r"$\uparrow$" if higher else r"$\downarrow$"
    return f"{latex_escape(alias)} {arrow}{'' if known else '?'}"


def latex_task(board: Board, task: str, per_class: bool) -> str:
    """One booktabs body (\\toprule ... \\bottomrule): model and part columns only when there are several."""
    from .provenance import notes, provenance

    models, parts, metrics = board.models(task), board.parts(task), board.metrics(task)
    names = aliases(metrics)
    lead = (["model"] if len(models) > 1 else []) + (["part"] if len(parts) > 1 and not per_class else [])
    blocks: list[tuple[list[str], list[list[str]]]] = []
    if per_class:
        frame = board.by_class[board.by_class["task"] == task]
        classes = class_order(task, sorted(frame["true_class"].unique()))
        header = lead + ["metric", "method"] + [latex_escape(c) for c in classes]
        for model in models:
            for m in metrics:
                sub = frame[(frame["model"] == model) & (frame["metric"] == m[0]) & (frame["metric_version"] == m[1])]
                cells = {(r.method, r.method_options, r.target_mode, r.true_class): r for r in sub.itertuples()}
                d = decimals(list(sub["mean"]))
                entries = board.entries(task, model)
                rows = [([model] if len(models) > 1 else []) + [_head(names[m], m[0]), _label(e, entries)]
                        + [_cell(cells.get((*e, c)), d) for c in classes] for e in entries]
                blocks.append((header, rows))
    else:
        sanity = board.has_sanity(task)
        header = lead + ["method"] + [_head(names[m], m[0]) for m in metrics] + (["sanity"] if sanity else [])
        for model in models:
            entries = board.entries(task, model)
            for part in parts:
                o = board.overall
                sub = o[(o["task"] == task) & (o["model"] == model) & (o["part"] == part)]
                cells = {(r.method, r.method_options, r.target_mode, r.metric, r.metric_version): r
                         for r in sub.itertuples()}
                flags = _flags(board, task, model, part)
                dec = {m: decimals(list(sub.loc[(sub["metric"] == m[0]) & (sub["metric_version"] == m[1]), "mean"]))
                       for m in metrics}
                for group in (False, True):
                    rows = [([model] if len(models) > 1 else []) + ([latex_escape(part)] if len(parts) > 1 else [])
                            + [_label(e, entries)] + [_cell(cells.get((*e, *m)), dec[m]) for m in metrics]
                            + ([flags.get(tuple(e), "not scored")] if sanity else [])
                            for e in entries if is_baseline(e.method) == group]
                    if rows:
                        blocks.append((header, rows))
    width = len(blocks[0][0]) if blocks else 1
    n_left = len(lead) + 1 + per_class
    lines = [f"% {task}{' by true class' if per_class else ''}: booktabs table body, e.g. "
             f"\\begin{{tabular}}{{{'l' * n_left}{'r' * (width - n_left)}}}"]
    lines += [f"% column {a}: {m} v{v}" for (m, v), a in names.items()]
    lines += ["\\toprule", " & ".join(blocks[0][0] if blocks else ["method"]) + " \\\\"]
    for _, rows in blocks:
        lines.append("\\midrule")
        lines += [" & ".join(r + [""] * (width - len(r))) + " \\\\" for r in rows]
    lines.append("\\bottomrule")
    return "\n".join(lines + [f"% {x}" for x in notes(board, task) + provenance(board, task)]) + "\n"


def _flags(board: Board, task: str, model: str, part: str) -> dict[tuple, str]:
    s = board.sanity
    if not len(s):
        return {}
    s = s[(s["task"] == task) & (s["model"] == model) & (s["part"] == part)]
    return {(r.method, r.method_options, r.target_mode): r.state for r in s.itertuples()}

