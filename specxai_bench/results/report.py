"""`specxai-bench report`: leaderboard tables and figures together on one Markdown page.

Every number on the page comes from the stored rows (the leaderboard). Figures need maps, so
the report re-creates them for a few test samples per class only, from each model's cached
checkpoint, and recomputes the test-split predictions for the confusion matrices (cheap). It
never re-scores. A model whose checkpoint or corpus cannot be rebuilt gets its tables and a note
instead of figures.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..io import atomic_write_files
from .aggregate import BoardConfig, is_baseline
from .board import Board, Entry, build_board, default_command
from .plots import (
    Examples,
    band_profile_figure,
    confusion_figure,
    confusion_matrix,
    figure_files,
    overlay_figure,
)
from .render import markdown_main_table, model_line, notes, provenance, render_all


@dataclass
class ModelContext:
    """A loaded model and its task's test split, rebuilt from the manifest's corpus config."""

    task: Any  # tasks.Task
    model: torch.nn.Module
    test: Any  # data.TaskData
    meta: dict[str, Any]
    target_class: str


def load_context(board: Board, task: str, model_id: str, cache: dict[str, Any]) -> ModelContext | str:
    """The model and test split behind one table (through the run's own :class:`~..experiment.Experiment`,
    rebuilt from its manifest), or a note saying why they cannot be rebuilt and how to get them."""
    from ..data.tasks import ALL_TASKS
    from ..errors import SpecXAIError
    from ..experiment import Experiment

    if task not in ALL_TASKS:
        return f"task {task} is not registered here; no figures"
    rows = board.sources.rows
    runs = sorted(rows.loc[(rows["task"] == task) & (rows["model"] == model_id), "run"].unique())
    manifest = next((board.sources.manifests[r] for r in runs if r in board.sources.manifests), None)
    if manifest is None or "config" not in manifest:
        return "no run manifest with the run's config for this model; figures skipped"
    try:
        if manifest["run"] not in cache:  # the run's folder is where its store is now
            cache[manifest["run"]] = Experiment.from_manifest(manifest, Path(manifest["_store"]).parent)
        exp = cache[manifest["run"]]
        model, meta = exp.model(ALL_TASKS[task], train=False)
    except (SpecXAIError, OSError, ImportError) as exc:
        return f"{exc}; figures and confusion matrix skipped"
    if meta["config_hash"] != model_id:
        return (f"this version builds model {meta['config_hash']} for that run's config, not {model_id}; "
                "figures skipped")
    test = exp.data(ALL_TASKS[task], ("test",))["test"]
    return ModelContext(ALL_TASKS[task], model.eval(), test, meta, manifest.get("target_class", "true"))


def make_examples(ctx: ModelContext, entries: list[Entry], per_class: int) -> tuple[Examples, list[str]]:
    """Maps of each method for the first ``per_class`` test samples of each class."""
    from ..methods import METHODS

    t = ctx.test.targets.numpy()
    idx = [int(i) for c in range(len(ctx.task.classes)) for i in np.flatnonzero(t == c)[:per_class]]
    sub = ctx.test.subset(idx)
    targets = sub.targets
    if ctx.target_class == "predicted":
        with torch.no_grad():
            targets = ctx.model(sub.images).argmax(1)
    maps, skipped = {}, []
    for e in entries:
        label = e.method if sum(x.method == e.method for x in entries) < 2 else f"{e.method} {e.options}"
        try:
            method = METHODS.get(e.method)(ctx.model, **json.loads(e.options))
            maps[label] = method.attribute(sub.images, targets).numpy()
        except Exception as exc:  # a method that cannot be rebuilt here is named, not fatal
            skipped.append(f"{e.method} {e.options}: map not re-created ({type(exc).__name__}: {exc})")
    ex = Examples(ctx.task.name, ctx.task.kind, tuple(ctx.task.classes), sub.images[:, 0].numpy(), t[idx],
                  sub.f0, sub.formants, sub.axis, maps, frozenset(lab for lab in maps if is_baseline(lab.split()[0])))
    return ex, skipped


def model_figures(board: Board, task: str, model_id: str, ctx: ModelContext, fig_dir: Path, per_class: int,
                  methods: list[str] | None, confusion: bool) -> tuple[dict[Path, bytes], list[str], list[str]]:
    """Figure files, their Markdown lines and notes for one task and model."""
    from ..model.predict import predict

    entries = [e for e in board.entries(task, model_id) if e.target_mode == ctx.target_class
               and (methods is None or any(fnmatch.fnmatchcase(e.method, p) for p in methods))]
    ex, note = make_examples(ctx, entries, per_class)
    stem = f"{task}-{model_id}"
    files, lines = {}, []
    figs = [("overlay", overlay_figure(ex), "one test sample per class; A+ of each method over the spectrogram, "
             "true F1-F3 tracks dashed" + (", F0 track and the 700 Hz F0-band line" if ex.kind == "voicing" else "")),
            ("bands", band_profile_figure(ex), f"A+ mass by frequency, mean over the first {per_class} test "
             "samples of each class (uniform map = 1); dotted lines: the class's mean F1-F3")]
    if confusion:
        pred = predict(ctx.model, ctx.test.images, "cpu", 32).numpy()
        cm = confusion_matrix(ctx.test.targets.numpy(), pred, len(ctx.task.classes))
        figs.append(("confusion", confusion_figure(cm, tuple(ctx.task.classes), f"{task}, model {model_id}"),
                     "test split, predictions recomputed from the checkpoint"))
    for kind, fig, caption in figs:
        files.update(figure_files(fig, fig_dir / f"{stem}-{kind}"))
        lines += [f"![{task} {kind}](figures/{stem}-{kind}.png)", "",
                  f"*{caption}* ([PDF](figures/{stem}-{kind}.pdf))", ""]
    return files, lines, note


def build_report(paths: list[str | Path], out: str | Path, *, per_class: int = 4, methods: list[str] | None = None,
                 confusion: bool = True, cfg: BoardConfig = BoardConfig(), command: str | None = None) -> list[Path]:
    """Write ``out/report.md``, ``out/figures/*`` and ``out/tables/*`` (all atomically)."""
    out = Path(out)
    board = build_board(paths, cfg, default_command([str(p) for p in paths], out / "tables", cfg))
    files: dict[Path, str | bytes] = {out / "tables" / k: v for k, v in render_all(board).items()}
    page = ["# specxai-bench report", "", f"Made by `{command or _report_command(paths, out)}`. Every number "
            "comes from the stored per-sample rows; the figures re-create maps for a few test samples only.", "",
            "Tables: [index](tables/index.md). Cells: mean [95 % CI, speaker-cluster bootstrap] n, #rank; "
            "bold = best; † = baseline.", ""]
    cache: dict[str, Any] = {}
    for task in board.tasks():
        page += [f"## {task}", "", f"Per-class tables: [tables/{task}.md](tables/{task}.md)", ""]
        for model_id in board.models(task):
            page += [f"### {model_line(board, task, model_id)}", "", markdown_main_table(board, task, model_id), ""]
            ctx = load_context(board, task, model_id, cache)
            if isinstance(ctx, str):
                page += [f"> {ctx}", ""]
                continue
            figs, lines, note = model_figures(board, task, model_id, ctx, out / "figures", per_class, methods,
                                              confusion)
            files.update(figs)
            page += lines + [f"> {n}" for n in note] + ([""] if note else [])
    page += ["## Notes", ""] + ([f"- {n}" for n in notes(board, None)] or ["- none"])
    page += ["", "## Provenance", ""] + [f"- {p}" for p in provenance(board, None)]
    files[out / "report.md"] = "\n".join(page) + "\n"
    return atomic_write_files(files)


def _report_command(paths: list[str | Path], out: Path) -> str:
    return " ".join(["specxai-bench report --results", *map(str, paths), f"--out {out}"])
