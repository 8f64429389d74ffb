"""Machine-readable boards: CSV files a plain ``pandas.read_csv`` reads (one header line, no footer), and a
JSON sidecar with the provenance, notes, column aliases and column meanings."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd

from .aggregate import CELL, STAGE_COLUMNS, is_baseline
from .board import Board
from .cells import aliases
from .paired import COLUMNS as PAIRED

SUMMARY = ["mean", "ci_low", "ci_high", "n", "speakers", "nan", "failed"]
FLOAT = {"mean", "ci_low", "ci_high", "d_base", "d_base_low", "d_base_high", "d_best", "d_best_low", "d_best_high",
         "seeds_sd"}
MODEL = ["arch", "image_size", "profile", "device"]
COLUMN_NOTES = {
    "part": "all, or the true class on tasks whose main table reads classes apart (voicing)",
    "ci_low": "95 % speaker-cluster bootstrap CI; empty with fewer than min_speakers speakers",
    "rank": "earned rank (1 = best); empty without CIs; rank_shared: shared with a method not shown to differ",
    "baseline": "the strongest model-free baseline of the cell's group (best mean); d_base = mean of the per-sample "
                "differences method - baseline, d_base_low/high its CI, d_base_n the pairs",
    "best": "the rank-1 method of the group; d_best = paired difference method - best",
    "sanity": "randomisation sanity flag of the method (pass, fail, unclear, not scored)",
    "alias": "the column name in the Markdown and LaTeX tables",
}


def _fmt(col: str, value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return format(float(value), ".6g") if col in FLOAT else value


def _write(frame: pd.DataFrame, cols: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in frame[cols].itertuples(index=False):
        w.writerow([_fmt(c, v) for c, v in zip(cols, r)])
    return buf.getvalue()


def csv_text(board: Board, per_class: bool) -> str:
    """Every main-table cell (or per-class cell), long format, 6 significant digits."""
    frame = (board.by_class if per_class else board.overall).copy()
    cols = CELL + (["true_class"] if per_class else ["part"]) + SUMMARY
    if not per_class:
        cols += PAIRED + ["higher_is_better", "sanity"]
        flags = {tuple(k): s for *k, s in zip(*(board.sanity[c] for c in ["task", "model", "target_mode", "method",
                                                                             "method_options", "part", "state"]))} \
            if len(board.sanity) else {}
        frame["sanity"] = [flags.get(k, "") for k in zip(*(frame[c] for c in ["task", "model", "target_mode",
                                                                               "method", "method_options", "part"]))]
    names = {t: aliases(board.metrics(t)) for t in board.tasks()}
    frame["alias"] = [names.get(t, {}).get((m, int(v)), "") for t, m, v in
                      zip(frame["task"], frame["metric"], frame["metric_version"])]
    frame["baseline_method"] = frame["method"].map(is_baseline)
    for k in MODEL:
        frame[k] = [board.sources.models.get((t, m), {}).get(k, "") for t, m in zip(frame["task"], frame["model"])]
    return _write(frame, cols + ["alias", "baseline_method"] + MODEL)


def randomisation_csv(board: Board) -> str:
    """The randomisation curves (cascade and independent, every similarity and stage, by part)."""
    frames = [f.assign(mode=mode) for mode, f in board.stages.items() if len(f)]
    cols = ["mode"] + STAGE_COLUMNS[:5] + ["part"] + STAGE_COLUMNS[5:]
    if not frames:
        return ",".join(cols) + "\n"
    return _write(pd.concat(frames, ignore_index=True), cols)


def sidecar_json(board: Board) -> str:
    """Provenance, notes, aliases and column meanings of the CSV files (stable key order and text)."""
    from .provenance import notes, provenance

    data = {
        "command": board.command,
        "config": {"n_resamples": board.cfg.n_resamples, "confidence": board.cfg.confidence, "seed": board.cfg.seed,
                   "sanity_threshold": board.cfg.sanity_threshold, "min_speakers": board.cfg.min_speakers},
        "aliases": {t: {a: {"metric": m, "version": v} for (m, v), a in aliases(board.metrics(t)).items()}
                    for t in board.tasks()},
        "columns": COLUMN_NOTES,
        "notes": notes(board, None),
        "provenance": provenance(board, None),
    }
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
