"""The study's open checks as runs with their own tables: cut-off ablation, speaker groups, cross-corpus.

Each study runs the ordinary grid (:func:`runner.run`: models cached, rows resumable), then makes
one table from the stored per-sample rows plus one prediction pass over the test split (accuracy
per sample is not a result row). Cells are means with a 95 % cluster bootstrap over speakers
(:func:`leaderboard.cluster_bootstrap`), and every file ends with the leaderboard's provenance
lines (the runs' manifests) after the study command that made it. Files are written atomically.

- ``cutoff``: vowel5 band-limited at 2, 3, 4, 5 kHz and full band, one model each: test accuracy
  and each method's formant-band lift per cut-off.
- ``groups``: the metrics (and accuracy) split by speaker group: men / women / children in the
  synthetic corpus, a real corpus's groups, or any column of a speaker metadata CSV.
- ``cross-corpus``: models trained on one corpus, accuracy and attribution metrics measured on
  another corpus's segments (its own rows in a store of their own), beside the in-corpus numbers.
"""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch

from . import distributed
from .corpora.base import Corpus
from .errors import ConfigError, DataError
from .leaderboard import Board, BoardConfig, cluster_bootstrap, load_stores, write_atomic
from .leaderboard_render import provenance
from .runner import RunConfig, RunSummary, TaskOutcome, run, validate
from .tasks import CUTOFF_KHZ, SPLITS, Task, cutoff_task, get_task, select_segments


@dataclass(frozen=True)
class Cell:
    mean: float
    low: float
    high: float
    n: int
    speakers: int

    def text(self) -> str:
        if self.n == 0:
            return "—"
        ci = f"[{self.low:.3f}, {self.high:.3f}]" if np.isfinite(self.low) else "[no CI]"
        return f"{self.mean:.3f} {ci} n={self.n}, {self.speakers} spk"


def cell(values: np.ndarray, speakers: np.ndarray, cfg: BoardConfig) -> Cell:
    iv = cluster_bootstrap(np.asarray(values, np.float64), np.asarray(speakers), n_resamples=cfg.n_resamples,
                           confidence=cfg.confidence, seed=cfg.seed)
    return Cell(iv.mean, iv.low, iv.high, iv.n, iv.clusters)


# ---- shared steps: the run, its test predictions, its rows ----

def run_grid(cfg: RunConfig) -> RunSummary | None:
    """The ordinary run (all ranks under torchrun); None on ranks other than 0, which stop there."""
    summary = run(cfg)
    return summary if distributed.env_from().is_main else None


def load_run_corpus(cfg: RunConfig, tasks: list[Task], spec: str | None = None, seed: int | None = None) -> Corpus:
    from .corpora.loading import load_corpus

    _, _, _, profile, _ = validate(cfg)
    labels = [lab for t in tasks for lab in t.label_map]
    return load_corpus(spec or cfg.corpus, synthetic=profile.corpus, seed=cfg.seed if seed is None else seed,
                       labels=labels, cache_dir=Path(cfg.output) / "cache", progress=cfg.progress)


def load_model(outcome: TaskOutcome) -> Any:
    from .models import SpectrogramClassifier, load_checkpoint

    meta = outcome.model_meta
    model = SpectrogramClassifier(meta["arch"], len(get_task(outcome.task).classes))
    load_checkpoint(Path(meta["checkpoint"]), model, meta["config_hash"])
    return model.to(memory_format=torch.channels_last).eval()  # as the run used it


def eval_data(task: Task, corpus: Corpus, image_size: int, seed: int, splits: tuple[str, ...] = ("test",)) -> Any:
    """The images of ``splits`` of ``task`` on ``corpus`` as one TaskData (only those are computed)."""
    from .data import build_task_data

    sel = select_segments(task, corpus, seed)
    items = [it for s in splits for it in sel[s]]
    return build_task_data(task, corpus, image_size, seed, progress=False,
                           selected={**{s: [] for s in SPLITS}, "test": items})["test"]


def predictions(task: Task, model: Any, data: Any, device: str, batch_size: int, group_of: dict[str, str]
                ) -> pd.DataFrame:
    """One row per sample: speaker, group, whether the model's prediction is the true class."""
    from .training import predict

    pred = predict(model.to(device), data.images, device, batch_size)
    return pd.DataFrame({"task": task.name, "sample": list(data.ids), "speaker": list(data.speakers),
                         "group": [group_of.get(s, "unknown") for s in data.speakers],
                         "correct": (pred == data.targets).numpy().astype(np.float64)})


def run_predictions(cfg: RunConfig, summary: RunSummary, corpus: Corpus, group_of: dict[str, str]) -> pd.DataFrame:
    frames = []
    for o in summary.outcomes:
        task = get_task(o.task)
        data = eval_data(task, corpus, int(o.model_meta["image_size"]), cfg.seed)
        frames.append(predictions(task, load_model(o), data, summary.device, 32, group_of).assign(model=o.model))
    return pd.concat(frames, ignore_index=True)


def run_rows(summary: RunSummary, store: Path | None = None) -> tuple[pd.DataFrame, Any]:
    """The rows of this run's (task, model) pairs from its store, and the store's sources."""
    src = load_stores([store or summary.store_path])
    pairs = {(o.task, o.model) for o in summary.outcomes}
    keep = [(t, m) in pairs for t, m in zip(src.rows["task"], src.rows["model"])]
    return src.rows[keep].reset_index(drop=True), src


def group_map(corpus: Corpus | None, metadata: Path | None = None, column: str = "group") -> dict[str, str]:
    """speaker -> group: from a metadata CSV's ``column`` (header must name ``speaker``), else the corpus."""
    if metadata is None:
        return {s.speaker: s.group for s in corpus.segments}
    path = Path(metadata)
    if not path.is_file():
        raise ConfigError(f"speaker metadata file {path} does not exist")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = [c.strip() for c in (reader.fieldnames or [])]
        if "speaker" not in fields or column not in fields:
            raise DataError(f"{path}: header needs the columns 'speaker' and {column!r}; found {', '.join(fields)}")
        out = {}
        for line, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if not row["speaker"]:
                raise DataError(f"{path}, line {line}: empty speaker")
            out[row["speaker"]] = row[column] or "unknown"
    return out


def group_order(groups: list[str]) -> list[str]:
    from .corpora.targets import GROUPS

    return [g for g in GROUPS if g in groups] + sorted(g for g in groups if g not in GROUPS)


def metric_ids(names: tuple[str, ...]) -> dict[str, str]:
    """metric name -> id with parameters (what the rows hold)."""
    from .metrics import METRICS

    return {n: METRICS.get(n)().id for n in names}


# ---- rendering ----

def md_table(head: list[str], rows: list[list[str]]) -> str:
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(map(esc, head)) + " |", "|" + "|".join(["---"] + ["--:"] * (len(head) - 1)) + "|"]
    return "\n".join(lines + ["| " + " | ".join(map(esc, r)) + " |" for r in rows])


def csv_text(records: list[dict[str, Any]], footer: list[str]) -> str:
    cols = list(records[0]) if records else ["study"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow({k: (format(v, ".6g") if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue() + "".join(f"# {line}\n" for line in footer)


def footer_lines(summary: RunSummary, src: Any, command: str, cfg: BoardConfig, extra: list[str] = ()) -> list[str]:
    """The study command, then the leaderboard's provenance lines for the runs whose rows are used."""
    pairs = {(o.task, o.model) for o in summary.outcomes}  # only the runs that made this study's rows
    keep = [(t, m) in pairs for t, m in zip(src.rows["task"], src.rows["model"])]
    src = replace(src, rows=src.rows[keep].reset_index(drop=True))
    board = Board(src, cfg, command, pd.DataFrame(), pd.DataFrame())
    lines = [f"study: `{command}`"] + list(extra)
    seen = set()
    for o in summary.outcomes:
        for line in provenance(board, o.task):
            if line not in seen and not line.startswith("tables: "):
                seen.add(line)
                lines.append(line)
    lines.append(f"cells: mean over test samples, {cfg.confidence:.0%} CI from a cluster bootstrap over speakers "
                 f"({cfg.n_resamples} resamples, percentile method, seed {cfg.seed}); n = finite values (a map with no "
                 f"positive mass gives NaN, not counted), spk = speakers")
    return lines


def model_note(summary: RunSummary) -> str:
    p = summary.profile
    return (f"models: {p.arch}, {p.image_size}x{p.image_size} px, profile {p.name} (up to {p.epochs} epoch(s), batch "
            f"{p.batch_size}, lr {p.lr:g}, {p.corpus.speakers_per_group} speakers per group in a synthetic corpus), "
            f"device {summary.device}")


def _page(title: str, intro: list[str], body: list[str], footer: list[str]) -> str:
    return "\n".join([f"# {title}", "", *intro, "", *body, "", "## Provenance", "",
                      *[f"- {line}" for line in footer]]) + "\n"


# ---- cut-off ablation ----

def cutoff_study(base: RunConfig, out: Path, command: str, board: BoardConfig = BoardConfig()) -> list[Path]:
    """vowel5 at 2, 3, 4, 5 kHz and full band: accuracy and formant-band lift per cut-off and method."""
    tasks = [cutoff_task(k) for k in CUTOFF_KHZ]
    cfg = replace(base, tasks=tuple(t.name for t in tasks))
    summary = run_grid(cfg)
    if summary is None:
        return []
    corpus = load_run_corpus(cfg, tasks)
    preds = run_predictions(cfg, summary, corpus, group_map(corpus))
    rows, src = run_rows(summary)
    method_names, metric_names, *_ = validate(cfg)
    ids = metric_ids(tuple(m for m in metric_names if m.startswith("formant")))
    methods = [m for m in method_names if m in set(rows["method"])]
    records, tables = [], {mid: [] for mid in ids.values()}
    acc_rows = []
    for task, khz in zip(tasks, CUTOFF_KHZ):
        o = next(o for o in summary.outcomes if o.task == task.name)
        axis_top = task.fmax or corpus.segments[0].sample_rate / 2
        band = f"0 – {axis_top:,.0f} Hz"
        label = "full band" if khz is None else f"{khz} kHz"
        p = preds[preds["task"] == task.name]
        acc = cell(p["correct"], p["speaker"], board)
        cam_rows = native_rows(o, summary.profile.image_size)
        acc_rows.append([label, band, f"{axis_top / summary.profile.image_size:.1f}",
                         f"{axis_top / cam_rows:.0f} ({cam_rows} rows)", acc.text()])
        records.append({"study": "cutoff", "cutoff": label, "fmax_hz": axis_top, "task": task.name, "model": o.model,
                        "method": "", "metric": "test_accuracy", **_rec(acc)})
        for name, mid in ids.items():
            line = [label]
            for method in methods:
                r = rows[(rows["task"] == task.name) & (rows["method"] == method) & (rows["metric"] == mid)]
                c = cell(r["value"], r["speaker"], board)
                line.append(c.text())
                records.append({"study": "cutoff", "cutoff": label, "fmax_hz": axis_top, "task": task.name,
                                "model": o.model, "method": method, "metric": mid, **_rec(c)})
            tables[mid].append(line)
    body = ["## Test accuracy per cut-off", "",
            md_table(["cut-off", "band", "Hz per image row", "Hz per CAM row", "test accuracy [95 % CI]"], acc_rows)]
    for mid, lines in tables.items():
        body += ["", f"## {mid} per cut-off (rows) and method (columns)", "",
                 md_table(["cut-off"] + [m + (" †" if m == "input_energy" else "") for m in methods], lines)]
    intro = ["One model per cut-off (the task's images stop at the cut-off; everything else is equal). "
             "Lift = formant-band mass / the mask's share of the image: 1 is chance, and the baseline "
             "input_energy † (the input's own dB values) is the bar an attribution method has to clear.",
             "", model_note(summary)]
    foot = footer_lines(summary, src, command, board)
    return write_atomic({out / "study-cutoff.md": _page("Study: frequency cut-off ablation (vowel5)", intro, body,
                                                        foot),
                         out / "study-cutoff.csv": csv_text(records, foot)})


def native_rows(outcome: TaskOutcome, image_size: int) -> int:
    """Rows of CAM's native map (the model's layer4) at this image size: 7 at 224 px for a ResNet."""
    from .methods import METHODS

    return int(METHODS.get("cam")(load_model(outcome)).native_resolution(image_size)[0])


def _rec(c: Cell) -> dict[str, Any]:
    return {"mean": c.mean, "ci_low": c.low, "ci_high": c.high, "n": c.n, "speakers": c.speakers}


# ---- speaker groups ----

def groups_study(base: RunConfig, out: Path, command: str, board: BoardConfig = BoardConfig(), *,
                 metadata: Path | None = None, column: str = "group") -> list[Path]:
    """Accuracy and every metric per speaker group, beside the value over all speakers."""
    given = group_map(None, metadata, column) if metadata is not None else None  # a bad file fails before work
    summary = run_grid(base)
    if summary is None:
        return []
    tasks = [get_task(o.task) for o in summary.outcomes]
    corpus = load_run_corpus(base, tasks)
    group_of = given if given is not None else group_map(corpus)
    preds = run_predictions(base, summary, corpus, group_of)
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
            lines.append([method + (" †" if method == "input_energy" else ""), metric] + [c.text() for c in cells])
            records += [{"study": "groups", "task": o.task, "model": o.model,
                         "method": method if col == "value" else "", "metric": metric or "test_accuracy", "group": g,
                         **_rec(c)}
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
    return write_atomic({out / "study-groups.md": _page("Study: metrics by speaker group", intro, body, foot),
                         out / "study-groups.csv": csv_text(records, foot)})


# ---- cross-corpus ----

def cross_corpus_study(base: RunConfig, out: Path, command: str, board: BoardConfig = BoardConfig(), *,
                       eval_corpus: str, eval_seed: int | None = None, eval_splits: tuple[str, ...] = ("test",)
                       ) -> list[Path]:
    """Train on ``base.corpus`` (the ordinary run), then score the same models on ``eval_corpus``."""
    from .methods import METHODS
    from .models import config_hash
    from .results import ResultStore
    from .runner import _manifest, _run_method, _targets

    if distributed.env_from().active:
        raise ConfigError("study cross-corpus runs in one process (the evaluation on the second corpus is not "
                          "sharded); launch it without torchrun")
    bad = [s for s in eval_splits if s not in SPLITS]
    if bad:
        raise ConfigError(f"--eval-splits: unknown split(s) {', '.join(bad)}; use {', '.join(SPLITS)}")
    method_names, metric_names, tasks, profile, device = validate(base)
    seed_b = base.seed if eval_seed is None else eval_seed
    if eval_corpus == base.corpus and seed_b == base.seed:
        raise ConfigError("the evaluation corpus is the training corpus (same --corpus spec and seed); give "
                          "another --eval-corpus, or --eval-seed for another synthetic corpus")
    # the second corpus must be readable before any training starts
    corpus_b = load_run_corpus(base, tasks, eval_corpus, seed_b)
    for t in tasks:
        select_segments(t, corpus_b, base.seed)
    summary = run_grid(base)
    assert summary is not None
    corpus_a = load_run_corpus(base, tasks)
    fp_b = corpus_b.fingerprint()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", eval_corpus)[:48]
    store_b_path = Path(base.output) / "cross-corpus" / f"{slug}-seed{seed_b}-{fp_b}" / "results.sqlite"
    run_b = config_hash({"run": summary.run_id, "eval_corpus": eval_corpus, "eval_seed": seed_b,
                         "eval_splits": list(eval_splits)})
    t0 = time.time()
    preds_a = run_predictions(base, summary, corpus_a, group_map(corpus_a))
    preds_b, outcomes_b = [], []
    with ResultStore(store_b_path) as store_b:
        for o in summary.outcomes:
            task, model = get_task(o.task), load_model(o).to(device)
            data = eval_data(task, corpus_b, profile.image_size, base.seed, eval_splits)
            pb = predictions(task, model, data, device, profile.eval_batch_size, group_map(corpus_b))
            preds_b.append(pb)
            meta = {k: v for k, v in o.model_meta.items() if k != "history"} | {
                "profile": profile.name, "test_accuracy": float(pb["correct"].mean()) if len(pb) else None,
                "n_test": len(pb), "eval_corpus": eval_corpus, "eval_seed": seed_b, "eval_splits": list(eval_splits),
                "train_corpus": base.corpus}
            store_b.write_model(task.name, o.model, meta)
            ob = TaskOutcome(task.name, o.model, meta)
            targets = _targets(model, data, base, device, profile)
            for name in method_names:
                _run_method(store_b, run_b, task, ob, METHODS.get(name)(model), metric_names, data, targets, model,
                            base, device)
            outcomes_b.append(ob)
        manifest = _manifest(base, run_b, profile, device, corpus_b, fp_b, outcomes_b,
                             {"cross-corpus evaluation": time.time() - t0})
        manifest.update(command=command, corpus={"spec": eval_corpus, "name": corpus_b.name, "fingerprint": fp_b,
                                                 "segments": len(corpus_b), "seed": seed_b,
                                                 "splits": list(eval_splits)},
                        train_corpus={"spec": base.corpus, "run": summary.run_id, "seed": base.seed})
        store_b.write_manifest(run_b, manifest)
    preds_b = pd.concat(preds_b, ignore_index=True)
    rows_a, src_a = run_rows(summary)
    rows_b, src_b = run_rows(summary, store_b_path)
    body, records = [], []
    name_a = f"{base.corpus} (seed {base.seed}), test split"
    name_b = f"{eval_corpus} (seed {seed_b}), {'+'.join(eval_splits)}"
    for o in summary.outcomes:
        lines = []
        pa, pb = preds_a[preds_a["task"] == o.task], preds_b[preds_b["task"] == o.task]
        ca, cb = cell(pa["correct"], pa["speaker"], board), cell(pb["correct"], pb["speaker"], board)
        lines.append(["test accuracy", "", ca.text(), cb.text(), f"{cb.mean - ca.mean:+.3f}"])
        records += [{"study": "cross-corpus", "task": o.task, "model": o.model, "method": "", "metric": "accuracy",
                     "corpus": n, **_rec(c)} for n, c in ((name_a, ca), (name_b, cb))]
        ra, rb = rows_a[rows_a["task"] == o.task], rows_b[rows_b["task"] == o.task]
        for (method, metric), r in ra.groupby(["method", "metric"], sort=True):
            s = rb[(rb["method"] == method) & (rb["metric"] == metric)]
            ca, cb = cell(r["value"], r["speaker"], board), cell(s["value"], s["speaker"], board)
            diff = f"{cb.mean - ca.mean:+.3f}" if np.isfinite(ca.mean) and np.isfinite(cb.mean) else ""
            lines.append([method + (" †" if method == "input_energy" else ""), metric, ca.text(), cb.text(), diff])
            records += [{"study": "cross-corpus", "task": o.task, "model": o.model, "method": method, "metric": metric,
                         "corpus": n, **_rec(c)} for n, c in ((name_a, ca), (name_b, cb))]
        body += [f"## {o.task} (model {o.model}, trained on {base.corpus})", "",
                 md_table(["method", "metric", f"trained-on corpus: {name_a}", f"other corpus: {name_b}",
                           "other − trained-on"], lines), ""]
    intro = [f"Models trained on {base.corpus} (seed {base.seed}) and evaluated, without retraining, on "
             f"{eval_corpus} (seed {seed_b}, {'+'.join(eval_splits)} split(s) of its speaker split). "
             f"The other corpus's rows are in {store_b_path}. † baseline.", "", model_note(summary)]
    merged = load_stores([summary.store_path, store_b_path])
    foot = footer_lines(summary, merged, command, board, [f"other corpus rows: {store_b_path} (run {run_b})"])
    return write_atomic({out / "study-cross-corpus.md": _page("Study: cross-corpus evaluation", intro, body, foot),
                         out / "study-cross-corpus.csv": csv_text(records, foot)})


STUDY_FUNCTIONS: dict[str, Callable[..., list[Path]]] = {
    "cutoff": cutoff_study, "groups": groups_study, "cross-corpus": cross_corpus_study}

