"""The speaker-group study: accuracy and every metric per speaker group, beside all speakers."""

from __future__ import annotations

from pathlib import Path

from ..experiment import Experiment, RunConfig
from ..io import atomic_write_files
from ..results.aggregate import BoardConfig, is_baseline
from ..results.render import md_table
from .common import (
    StudyResult,
    cell,
    csv_text,
    footer_lines,
    group_map,
    group_order,
    model_note,
    page,
    rec,
    run_grid,
    run_predictions,
    run_rows,
)


def groups_study(base: RunConfig, out: Path, command: str, board: BoardConfig = BoardConfig(), *,
                 metadata: Path | None = None, column: str = "group") -> StudyResult:
    """Accuracy and every metric per speaker group, beside the value over all speakers."""
    given = group_map(None, metadata, column) if metadata is not None else None  # a bad file fails before work
    summary, main = run_grid(base)
    if not main:
        return StudyResult([], summary.failures)
    exp = Experiment.create(base)
    corpus = exp.corpus
    group_of = given if given is not None else group_map(corpus)
    preds = run_predictions(exp, summary, group_of)
    rows, src = run_rows(summary)
    rows = rows.assign(group=[group_of.get(s, "unknown") for s in rows["speaker"]])
    groups = group_order(sorted(set(preds["group"]) | set(rows["group"])))
    body, records = [], []
    for o in summary.outcomes:
        p = preds[preds["task"] == o.task]
        r_task = rows[rows["task"] == o.task]
        lines = []
        parts = [("test accuracy", "", p, "correct")]
        parts += [(m, metric, r, "value") for (m, metric), r in r_task.groupby(["method", "metric"], sort=True)]
        for method, metric, frame, col in parts:
            cells = [cell(f[col], f["speaker"], board) for f in [frame[frame["group"] == g] for g in groups] + [frame]]
            lines.append([method + (" †" if is_baseline(method) else ""), metric] + [c.text() for c in cells])
            records += [{"study": "groups", "task": o.task, "model": o.model,
                         "method": method if col == "value" else "", "metric": metric or "test_accuracy", "group": g,
                         **rec(c)}
                        for g, c in zip([*groups, "all"], cells)]
        body += [f"## {o.task} (model {o.model}, test accuracy {o.model_meta.get('test_accuracy', float('nan')):.3f})",
                 "", md_table(["method", "metric", *groups, "all speakers"], lines), ""]
    source = (f"groups from column {column!r} of {metadata}" if metadata is not None
              else f"groups from the corpus ({corpus.name}: {', '.join(groups)})")
    intro = ["Test-split cells per speaker group; the split holds out whole speakers, stratified by group, so "
             "each group's cell rests on few speakers (spk). With 2 speakers the cluster bootstrap can only "
             "resample those two, so a group's interval spans little more than their two means and understates "
             "the uncertainty: compare groups with care, and with more speakers per group for a claim. "
             "† baseline.", "",
             model_note(summary), "", source]
    foot = footer_lines(summary, src, command, board)
    return StudyResult(atomic_write_files({out / "study-groups.md": page("Study: metrics by speaker group", intro, body,
                                                                   foot),
                                     out / "study-groups.csv": csv_text(records, foot)}), summary.failures)
