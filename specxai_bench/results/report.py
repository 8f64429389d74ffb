"""`specxai-bench report`: leaderboard tables and figures together, as one self-contained HTML page
(``index.html``, :mod:`.html`) and as a Markdown page with the figures beside it (``report.md``).

Every number on the pages comes from the stored rows (the leaderboard). Figures need maps, so
the report re-creates them for a few test samples per class only, from each model's cached
checkpoint, and recomputes the test-split predictions for the confusion matrices (cheap). It
never re-scores. A model whose checkpoint or corpus cannot be rebuilt gets its tables and a note
saying why and which command recreates the checkpoint, instead of figures.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..io import atomic_write_files
from .aggregate import BoardConfig, is_baseline
from .board import Board, Entry, build_board, default_command
from .html import FigureFile, ModelSection
from .html import page as html_page
from .plots import (
    Examples,
    band_profile_figure,
    cascade_figure,
    confusion_figure,
    confusion_matrix,
    figure_bytes,
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
    durations: dict[str, float] = field(default_factory=dict)  # test sample id -> seconds


def load_context(board: Board, task: str, model_id: str, cache: dict[str, Any]) -> ModelContext | str:
    """The model and test split behind one table (through the run's own :class:`~..experiment.Experiment`,
    rebuilt from its manifest), or a note saying why they cannot be rebuilt and how to get them."""
    from ..data.tasks import ALL_TASKS
    from ..errors import CheckpointError, SpecXAIError
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
    except CheckpointError:  # say which command trains it again, writing where this report looks
        folder = Path(manifest["_store"]).parent
        return (f"no checkpoint of model {model_id} ({task}) in {folder / 'checkpoints'}; train it again with "
                f"`{cache[manifest['run']].cfg.command()} --output {folder}` (the stored rows are reused, only the "
                "model is trained), then make this report again. Figures and confusion matrix skipped.")
    except (SpecXAIError, OSError, ImportError) as exc:
        return f"{exc}; figures and confusion matrix skipped"
    if meta["config_hash"] != model_id:
        return (f"this version builds model {meta['config_hash']} for that run's config, not {model_id}; "
                "figures skipped")
    test = exp.data(ALL_TASKS[task], ("test",))["test"]
    wanted = set(test.ids)
    durations = {s.id: s.duration for s in exp.corpus.segments if s.id in wanted}
    return ModelContext(ALL_TASKS[task], model.eval(), test, meta, manifest.get("target_class", "true"), durations)


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
    durations = np.array([ctx.durations.get(i, np.nan) for i in sub.ids])
    ex = Examples(ctx.task.name, ctx.task.kind, tuple(ctx.task.classes), sub.images[:, 0].numpy(), t[idx],
                  sub.f0, sub.formants, sub.axis, maps, frozenset(lab for lab in maps if is_baseline(lab.split()[0])),
                  durations=durations if np.isfinite(durations).all() else None)
    return ex, skipped


def model_figures(board: Board, task: str, model_id: str, ctx: ModelContext, per_class: int,
                  methods: list[str] | None, confusion: bool) -> tuple[list[FigureFile], list[str]]:
    """The figures of one task and model (overlays, band profiles, confusion matrix) and notes."""
    from ..model.predict import predict

    entries = [e for e in board.entries(task, model_id) if e.target_mode == ctx.target_class
               and (methods is None or any(fnmatch.fnmatchcase(e.method, p) for p in methods))]
    ex, note = make_examples(ctx, entries, per_class)
    tracks = "true F1-F3 (dashed) and F0 (solid) tracks" + (", the 700 Hz F0-band line" if ex.kind == "voicing" else
                                                            ", the 4 kHz line" if ex.axis.fmax > 4000 else "")
    figs = [("overlay", overlay_figure(ex), f"one test sample per class; A+ of each method over the spectrogram; "
             f"{tracks}; time in ms (each segment is stretched to the image width)"),
            ("bands", band_profile_figure(ex), f"A+ mass by frequency, mean over the first {per_class} test "
             "samples of each class (uniform map = 1); dotted lines: the class's mean F1-F3")]
    if confusion:
        pred = predict(ctx.model, ctx.test.images, "cpu", 32).numpy()
        cm = confusion_matrix(ctx.test.targets.numpy(), pred, len(ctx.task.classes))
        figs.insert(0, ("confusion", confusion_figure(cm, tuple(ctx.task.classes), f"{task}, model {model_id}"),
                        "test split, predictions recomputed from the checkpoint"))
    return [_figure_file(task, model_id, kind, fig, caption) for kind, fig, caption in figs], note


def _figure_file(task: str, model_id: str, kind: str, fig: Any, caption: str) -> FigureFile:
    return FigureFile(kind, f"{task}-{model_id}-{kind}", caption, figure_bytes(fig, "png"), figure_bytes(fig, "pdf"))


def cascade_figures(board: Board, task: str, model_id: str) -> tuple[list[FigureFile], list[str]]:
    """The randomisation cascade curves, where the aggregator provides them (``aggregate.cascade_frame``)
    and the rows hold cascade stages for this task and model."""
    from . import aggregate

    make = getattr(aggregate, "cascade_frame", None)
    if make is None:
        return [], []
    try:
        frame = make(board.sources.rows)
    except Exception as exc:  # the curves are an extra: a failure is named, the page is still written
        return [], [f"randomisation cascade not drawn ({type(exc).__name__}: {exc})"]
    frame = frame[(frame["task"] == task) & (frame["model"] == model_id)] if len(frame) else frame
    if not len(frame):
        return [], []
    fig = cascade_figure(frame, f"{task}, model {model_id}: cascading model-parameter randomisation")
    return [_figure_file(task, model_id, "cascade", fig, "similarity of each method's map on the trained model to "
                         "its map with the layers from the logits down to each stage re-initialised (Adebayo et al. "
                         "2018); mean and 95 % CI over the scored samples; low = the map depends on the model")], []


def model_section(board: Board, task: str, model_id: str, cache: dict[str, Any], per_class: int,
                  methods: list[str] | None, confusion: bool) -> ModelSection:
    section = ModelSection(task, model_id)
    ctx = load_context(board, task, model_id, cache)
    if isinstance(ctx, str):
        section.missing = ctx
    else:
        section.figures, section.notes = model_figures(board, task, model_id, ctx, per_class, methods, confusion)
    figs, notes_ = cascade_figures(board, task, model_id)
    section.figures += figs
    section.notes += notes_
    return section


def markdown_page(board: Board, sections: dict[str, list[ModelSection]], command: str) -> str:
    page = ["# specxai-bench report", "", f"Made by `{command}`. Every number comes from the stored per-sample rows; "
            "the figures re-create maps for a few test samples only. The same page as one HTML file: "
            "[index.html](index.html).", "",
            "Tables: [index](tables/index.md). Cells: mean [95 % CI, speaker-cluster bootstrap] n, #rank; "
            "bold = best; † = baseline.", ""]
    for task, models in sections.items():
        page += [f"## {task}", "", f"Per-class tables: [tables/{task}.md](tables/{task}.md)", ""]
        for s in models:
            page += [f"### {model_line(board, task, s.model)}", "", markdown_main_table(board, task, s.model), ""]
            if s.missing:
                page += [f"> {s.missing}", ""]
            for f in s.figures:
                page += [f"![{task} {f.kind}](figures/{f.stem}.png)", "", f"*{f.caption}* ([PDF](figures/{f.stem}.pdf))",
                         ""]
            page += [f"> {n}" for n in s.notes] + ([""] if s.notes else [])
    page += ["## Notes", ""] + ([f"- {n}" for n in notes(board, None)] or ["- none"])
    page += ["", "## Provenance", ""] + [f"- {p}" for p in provenance(board, None)]
    return "\n".join(page) + "\n"


def build_report(paths: list[str | Path], out: str | Path, *, per_class: int = 4, methods: list[str] | None = None,
                 confusion: bool = True, cfg: BoardConfig = BoardConfig(), command: str | None = None) -> list[Path]:
    """Write ``out/index.html``, ``out/report.md``, ``out/figures/*`` and ``out/tables/*`` (all atomically)."""
    out = Path(out)
    command = command or _report_command(paths, out)
    board = build_board(paths, cfg, default_command([str(p) for p in paths], out / "tables", cfg))
    files: dict[Path, str | bytes] = {out / "tables" / k: v for k, v in render_all(board).items()}
    cache: dict[str, Any] = {}
    sections = {task: [model_section(board, task, m, cache, per_class, methods, confusion) for m in board.models(task)]
                for task in board.tasks()}
    for f in (f for models in sections.values() for s in models for f in s.figures):
        files[out / "figures" / f"{f.stem}.png"] = f.png
        files[out / "figures" / f"{f.stem}.pdf"] = f.pdf
    files[out / "report.md"] = markdown_page(board, sections, command)
    files[out / "index.html"] = html_page(board, sections, command, out)
    return atomic_write_files(files)


def _report_command(paths: list[str | Path], out: Path) -> str:
    return " ".join(["specxai-bench report --results", *map(str, paths), f"--out {out}"])
