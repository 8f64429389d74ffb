"""The tables `run` prints: the board of the run's own samples, methods and metrics, one per task.

Same aggregation and renderer as the leaderboards (:mod:`.board`, :mod:`.render`), scoped to
what this run asked for (whichever run computed the stored rows: a resumed run reuses them).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .aggregate import BoardConfig
from .board import Board, Scope, build_board
from .render import format_band_check, markdown_main_table


def run_board(store: Path, scope: Scope, metric_ids: set[str], methods: list[str], command: str,
              cfg: BoardConfig = BoardConfig()) -> Board | None:
    """The run's board, or None when nothing was scored (no metric applies to its tasks)."""
    from ..errors import ConfigError

    try:
        return build_board([store], cfg, command, scope=scope, metrics=metric_ids, methods=methods)
    except ConfigError:
        return None


def task_tables(board: Board | None, tasks: Iterable[str], model_meta: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Task -> printable text: a header naming the model, the main tables, the band removal test
    (shortcut tasks) and the seconds per sample of each method (which vary, so they stay out of
    the reproducible boards)."""
    out = {}
    for task in tasks:
        meta = model_meta.get(task, {})
        head = (f"### {task} — profile {meta.get('profile')}, {meta.get('arch')}, {meta.get('image_size')}x"
                f"{meta.get('image_size')} px, device {meta.get('device')}, model {meta.get('config_hash')}, "
                f"test accuracy {meta.get('test_accuracy', float('nan')):.3f} (n={meta.get('n_test')})")
        body = []
        if board is not None and task in board.tasks():
            for model in board.models(task):
                body.append(markdown_main_table(board, task, model))
                body.append(f"seconds per sample (attribution, this machine): {_speed(board, task, model)}")
        elif meta.get("intervention", {}).get("n_provable") == 0:
            body.append("no sample scored: the model provably uses the cue on none of the test samples")
        else:
            body.append("no metric scored (none of the metrics asked for applies to this task)")
        if "band_removal" in meta:  # the shortcut task: does the model use the planted band?
            body.append(format_band_check(task, meta["band_removal"]))
        if "intervention" in meta:  # tf-shortcut: per sample, does the model use the cue (and not the decoy)?
            from ..model.checks import intervention_text
            body.append(intervention_text(task, meta["intervention"]))
        out[task] = "\n\n".join([head, *body]) + "\n"
    return out


def _speed(board: Board, task: str, model: str) -> str:
    t = board.sources.timings
    if t.empty:
        return "none computed in this run"
    t = t[(t["task"] == task) & (t["model"] == model) & (t["samples"] > 0)]
    parts = [f"{m} {g['seconds'].sum() / g['samples'].sum():.4f}" for m, g in t.groupby("method", sort=True)
             if m in {e.method for e in board.entries(task, model)}]
    return ", ".join(parts) or "none computed in this run"
