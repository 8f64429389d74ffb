"""The cut-off ablation: vowel5 band-limited at 2, 3, 4, 5 kHz and full band, one model each."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..data.tasks import CUTOFF_KHZ, cutoff_task
from ..experiment import Experiment, RunConfig
from ..io import atomic_write_files
from ..registry import parse_spec
from ..results.aggregate import BoardConfig, is_baseline
from ..results.render import md_table
from .common import (
    StudyResult,
    cell,
    csv_text,
    footer_lines,
    group_map,
    metric_ids,
    model_note,
    page,
    rec,
    run_grid,
    run_predictions,
    run_rows,
)


def cutoff_study(base: RunConfig, out: Path, command: str, board: BoardConfig = BoardConfig()) -> StudyResult:
    """vowel5 at 2, 3, 4, 5 kHz and full band: accuracy and formant-band lift per cut-off and method."""
    tasks = [cutoff_task(k) for k in CUTOFF_KHZ]
    cfg = replace(base, tasks=tuple(t.name for t in tasks))
    summary, main = run_grid(cfg)
    if not main:
        return StudyResult([], summary.failures)
    exp = Experiment.create(cfg)
    corpus = exp.corpus
    preds = run_predictions(exp, summary, group_map(corpus))
    rows, src = run_rows(summary)
    ids = metric_ids([m for m in exp.plan.metrics if m.startswith("formant")])
    methods = [name for name in (parse_spec(m).name for m in exp.plan.methods) if name in set(rows["method"])]
    records, tables = [], {mid: [] for mid in ids.values()}
    acc_rows = []
    for task, khz in zip(tasks, CUTOFF_KHZ):
        o = next(o for o in summary.outcomes if o.task == task.name)
        axis_top = task.fmax or corpus.segments[0].sample_rate / 2
        band = f"0 – {axis_top:,.0f} Hz"
        label = "full band" if khz is None else f"{khz} kHz"
        p = preds[preds["task"] == task.name]
        acc = cell(p["correct"], p["speaker"], board)
        cam_rows = native_rows(exp, task, summary.profile.image_size)
        acc_rows.append([label, band, f"{axis_top / summary.profile.image_size:.1f}",
                         f"{axis_top / cam_rows:.0f} ({cam_rows} rows)", acc.text()])
        records.append({"study": "cutoff", "cutoff": label, "fmax_hz": axis_top, "task": task.name, "model": o.model,
                        "method": "", "metric": "test_accuracy", **rec(acc)})
        for name, mid in ids.items():
            line = [label]
            for method in methods:
                r = rows[(rows["task"] == task.name) & (rows["method"] == method) & (rows["metric"] == mid)]
                c = cell(r["value"], r["speaker"], board)
                line.append(c.text())
                records.append({"study": "cutoff", "cutoff": label, "fmax_hz": axis_top, "task": task.name,
                                "model": o.model, "method": method, "metric": mid, **rec(c)})
            tables[mid].append(line)
    body = ["## Test accuracy per cut-off", "",
            md_table(["cut-off", "band", "Hz per image row", "Hz per CAM row", "test accuracy [95 % CI]"], acc_rows)]
    for mid, lines in tables.items():
        body += ["", f"## {mid} per cut-off (rows) and method (columns)", "",
                 md_table(["cut-off"] + [m + (" †" if is_baseline(m) else "") for m in methods], lines)]
    intro = ["One model per cut-off (the task's images stop at the cut-off; everything else is equal). "
             "Lift = formant-band mass / the mask's share of the image: 1 is chance, and the baseline "
             "input_energy † (the input's own dB values) is the bar an attribution method has to clear.",
             "", model_note(summary)]
    foot = footer_lines(summary, src, command, board)
    return StudyResult(atomic_write_files({out / "study-cutoff.md": page("Study: frequency cut-off ablation (vowel5)", intro, body,
                                                        foot),
                                     out / "study-cutoff.csv": csv_text(records, foot)}), summary.failures)


def native_rows(exp: Experiment, task: object, image_size: int) -> int:
    """Rows of CAM's native map (the model's layer4) at this image size: 7 at 224 px for a ResNet."""
    from ..methods import METHODS

    return int(METHODS.create("cam", exp.model(task, train=False)[0]).native_resolution(image_size)[0])
