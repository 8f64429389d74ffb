"""Leaderboards: stored per-sample rows from one or more stores -> tables with 95 % bootstrap CIs.

Tables are made only from the rows (never recomputed) and the same rows give the same bytes:
fixed float formats, stable sort orders, dates taken from the run manifests, a seeded bootstrap.
The CI is a cluster bootstrap: speakers are resampled with replacement and all their samples
come along, since segments of one speaker are not independent. Every file is written to a temp
file first and swapped in with ``os.replace`` only once all are written, so an interrupted
regeneration leaves the previous files whole. docs/leaderboards.md describes the output.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from .errors import ConfigError
from .results import ResultStore

BASELINES = ("input_energy", "uniform", "random")
SANITY_PREFIXES = ("randomisation", "model_parameter_randomisation")
KEY = ["task", "model", "method", "method_options", "metric", "metric_version", "sample"]
ENTRY = ["task", "model", "method", "method_options"]
CELL = ENTRY + ["metric", "metric_version"]
SANITY_ORDER = {"fail": 3, "unclear": 2, "pass": 1, "not scored": 0}


@dataclass(frozen=True)
class BoardConfig:
    """How cells are aggregated; part of every table's provenance footer."""

    n_resamples: int = 9999
    confidence: float = 0.95
    seed: int = 0
    sanity_threshold: float = 0.5  # used when a randomisation metric does not declare its own


@dataclass
class Sources:
    """The merged contents of the stores given, in the order given."""

    paths: list[str]
    rows: pd.DataFrame
    models: dict[tuple[str, str], dict[str, Any]]
    manifests: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)


class Interval(NamedTuple):
    mean: float
    low: float
    high: float
    n: int
    clusters: int


def load_stores(paths: list[str | Path]) -> Sources:
    """Read and merge stores; a key present in several stores counts once (the first store wins)."""
    frames, models, manifests, notes = [], {}, {}, []
    for p in paths:
        if not Path(p).is_file():
            raise ConfigError(f"results store {p} does not exist; give the results.sqlite a run wrote")
        with ResultStore(Path(p)) as store:
            frames.append(store.rows_frame().assign(store=str(p)))
            mf = store.models_frame()
            for task, model, meta in zip(mf["task"], mf["model"], mf["meta"]):
                models.setdefault((task, model), json.loads(meta))
            for run, man in store.manifests().items():
                manifests.setdefault(run, {**man, "_store": str(p)})
    rows = pd.concat(frames, ignore_index=True)
    if rows.empty:
        raise ConfigError(f"no result rows in {', '.join(map(str, paths))}; run `specxai-bench run` first")
    dup = rows.duplicated(KEY, keep="first")
    if dup.any():
        differ = rows.groupby(KEY)["value"].nunique(dropna=False).gt(1).sum()
        notes.append(f"{int(dup.sum())} row(s) found in more than one store were counted once (first store "
                     f"given wins); {int(differ)} of them had differing values")
    rows = rows[~dup].sort_values(KEY, kind="stable").reset_index(drop=True)
    rows["true_class"] = [true_class(t, lab) for t, lab in zip(rows["task"], rows["label"])]
    return Sources([str(p) for p in paths], rows, models, manifests, notes)


def true_class(task: str, label: str) -> str:
    """The sample's true class from its phone label (the label itself for a task not registered here)."""
    from .tasks import TASKS

    t = TASKS.get(task)
    return t.label_map.get(label, label) if t else label


def class_order(task: str, present: list[str]) -> list[str]:
    from .tasks import TASKS

    known = list(TASKS[task].classes) if task in TASKS else []
    return [c for c in known if c in present] + sorted(c for c in present if c not in known)


def cluster_bootstrap(values: np.ndarray, clusters: np.ndarray, *, n_resamples: int = 9999,
                      confidence: float = 0.95, seed: int = 0) -> Interval:
    """Mean of the finite ``values`` and a percentile CI from resampling whole clusters.

    ``scipy.stats.bootstrap`` resamples cluster indices; the statistic is the sample mean over the
    drawn clusters (sum of their sums / sum of their counts). Fewer than 2 clusters: no CI (NaN).
    """
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    values, clusters = values[ok], np.asarray(clusters)[ok]
    if not len(values):
        return Interval(np.nan, np.nan, np.nan, 0, 0)
    _, inv = np.unique(clusters, return_inverse=True)
    sums, counts = np.bincount(inv, weights=values), np.bincount(inv).astype(np.float64)
    mean = float(sums.sum() / counts.sum())
    if len(sums) < 2:
        return Interval(mean, np.nan, np.nan, len(values), len(sums))

    def stat(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = idx.astype(np.intp)
        return sums[idx].sum(axis) / counts[idx].sum(axis)

    res = bootstrap((np.arange(len(sums)),), stat, n_resamples=n_resamples, confidence_level=confidence,
                    method="percentile", vectorized=True, rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Interval(mean, float(ci.low), float(ci.high), len(values), len(sums))


def direction(metric_id: str) -> tuple[bool, bool]:
    """(higher is better, known): from the metric registry by the id's name part before '@'."""
    from .metrics import METRICS

    name = metric_id.split("@", 1)[0]
    return (bool(METRICS.get(name).higher_is_better), True) if name in METRICS else (True, False)


def is_baseline(method: str) -> bool:
    """One of the three reference maps (kept by name: importing the method registry costs seconds)."""
    return method in BASELINES


def is_sanity_metric(metric_id: str) -> bool:
    return metric_id.split("@", 1)[0].startswith(SANITY_PREFIXES)


def summarise(rows: pd.DataFrame, by: list[str], cfg: BoardConfig) -> pd.DataFrame:
    """One row per group: mean, CI, n (finite values), speakers, NaN and failure counts."""
    out = []
    for key, g in rows.groupby(by, sort=True):
        iv = cluster_bootstrap(g["value"].to_numpy(np.float64), g["speaker"].to_numpy(),
                               n_resamples=cfg.n_resamples, confidence=cfg.confidence, seed=cfg.seed)
        failed = int(g["error"].notna().sum())
        out.append({**dict(zip(by, key)), "mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high, "n": iv.n,
                    "speakers": iv.clusters, "nan": int(g["value"].isna().sum()) - failed, "failed": failed})
    return pd.DataFrame(out, columns=[*by, "mean", "ci_low", "ci_high", "n", "speakers", "nan", "failed"])


def add_ranks(summary: pd.DataFrame) -> pd.DataFrame:
    """Rank 1 = best within (task, model, metric), honouring each metric's direction; ties share."""
    higher = summary["metric"].map(lambda m: direction(m)[0]).astype(bool)
    key = summary["mean"].where(~higher, -summary["mean"])
    rank = key.groupby([summary[c] for c in ("task", "model", "metric", "metric_version")]).rank(method="min")
    return summary.assign(higher_is_better=higher, rank=rank.astype("Int64"))


def sanity_state(mean: float, low: float, high: float, higher: bool, threshold: float) -> str:
    """pass: whole CI on the good side of the threshold; fail: mean on the bad side; else unclear."""
    good = (lambda x: x > threshold) if higher else (lambda x: x < threshold)
    if not np.isfinite(mean):
        return "not scored"
    if not good(mean):
        return "fail"
    return "pass" if np.isfinite(low) and good(low) and good(high) else "unclear"


def sanity_threshold(metric_id: str, cfg: BoardConfig) -> float:
    from .metrics import METRICS

    name = metric_id.split("@", 1)[0]
    declared = getattr(METRICS.get(name), "sanity_threshold", None) if name in METRICS else None
    return float(cfg.sanity_threshold if declared is None else declared)


def sanity_flags(summary: pd.DataFrame, cfg: BoardConfig) -> pd.Series:
    """Per entry (task, model, method, options): the worst state over its randomisation metrics."""
    sane = summary[summary["metric"].map(is_sanity_metric)]
    states: dict[tuple, str] = {}
    for r in sane.itertuples(index=False):
        s = sanity_state(r.mean, r.ci_low, r.ci_high, r.higher_is_better, sanity_threshold(r.metric, cfg))
        key = (r.task, r.model, r.method, r.method_options)
        states[key] = max(states.get(key, s), s, key=SANITY_ORDER.get)
    keys = list(zip(*(summary[c] for c in ENTRY)))
    return pd.Series([states.get(k, "") for k in keys], index=summary.index, dtype=object)


@dataclass
class Board:
    """Everything the renderers need: aggregated cells plus the sources' metadata."""

    sources: Sources
    cfg: BoardConfig
    command: str
    overall: pd.DataFrame
    by_class: pd.DataFrame

    def tasks(self) -> list[str]:
        """Registered tasks in their registry order (the paper's), then any others by name."""
        from .tasks import TASKS

        present = set(self.overall["task"])
        return [t for t in TASKS if t in present] + sorted(present - set(TASKS))

    def models(self, task: str) -> list[str]:
        return sorted(self.overall.loc[self.overall["task"] == task, "model"].unique())

    def metrics(self, task: str) -> list[tuple[str, int]]:
        part = self.overall[self.overall["task"] == task]
        return sorted({(m, int(v)) for m, v in zip(part["metric"], part["metric_version"])})

    def has_sanity(self, task: str) -> bool:
        return any(is_sanity_metric(m) for m, _ in self.metrics(task))

    def entries(self, task: str, model: str) -> list[tuple[str, str | None]]:
        """(method, options) rows in table order: contenders by name, then the baselines; a baseline
        missing from the stores gets options None (an empty reference row)."""
        part = self.overall[(self.overall["task"] == task) & (self.overall["model"] == model)]
        have = sorted(set(zip(part["method"], part["method_options"])))
        contenders = [e for e in have if not is_baseline(e[0])]
        base = [e for name in BASELINES for e in (([e for e in have if e[0] == name]) or [(name, None)])]
        return contenders + base

    def missing_baselines(self, task: str, model: str) -> list[str]:
        return [m for m, opts in self.entries(task, model) if opts is None]

    def runs(self, task: str | None = None) -> list[str]:
        rows = self.sources.rows
        return sorted((rows if task is None else rows[rows["task"] == task])["run"].unique())


def build_board(paths: list[str | Path], cfg: BoardConfig = BoardConfig(), command: str | None = None) -> Board:
    """Load, merge and aggregate: overall cells (ranked, sanity-flagged) and per-class cells."""
    src = load_stores(paths)
    overall = add_ranks(summarise(src.rows, CELL, cfg))
    overall["sanity"] = sanity_flags(overall, cfg)
    by_class = summarise(src.rows, CELL + ["true_class"], cfg)
    return Board(src, cfg, command or default_command(src.paths, None, cfg), overall, by_class)


def default_command(paths: list[str], out: str | Path | None, cfg: BoardConfig) -> str:
    """The command line that regenerates these tables (options shown only where not default)."""
    parts = ["specxai-bench leaderboard --results", *paths] + ([f"--out {out}"] if out is not None else [])
    base = BoardConfig()
    for flag, attr in (("--n-resamples", "n_resamples"), ("--seed", "seed"),
                       ("--sanity-threshold", "sanity_threshold")):
        if getattr(cfg, attr) != getattr(base, attr):
            parts.append(f"{flag} {getattr(cfg, attr)}")
    return " ".join(parts)


def write_atomic(files: dict[Path, str | bytes]) -> list[Path]:
    """Write every file to a temp file beside it, then swap all in; on any error the temps are
    removed and files not yet swapped keep their old contents. Unchanged files are not touched."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, content in sorted(files.items()):
            data = content.encode("utf-8") if isinstance(content, str) else content
            if path.is_file() and path.read_bytes() == data:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temps.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
    return sorted(files)


def regenerate(paths: list[str | Path], out: str | Path, cfg: BoardConfig = BoardConfig(),
               command: str | None = None) -> list[Path]:
    """`specxai-bench leaderboard`: all tables for the stores, written atomically into ``out``."""
    board = build_board(paths, cfg, command or default_command([str(p) for p in paths], out, cfg))
    return write_atomic({Path(out) / name: text for name, text in render_all(board).items()})


# ---- rendering: Markdown, CSV, LaTeX (booktabs body); every file ends with the provenance footer ----

def _num(x: float, spec: str = ".3f") -> str:
    return format(float(x), spec) if x is not None and np.isfinite(x) else ""


def _label(method: str, options: str | None, variants: int) -> str:
    """The method's name, with its options when the board holds several variants of it."""
    if options is None or variants < 2:
        return method
    return f"{method} ({', '.join(f'{k}={v}' for k, v in json.loads(options).items())})"


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


def _method_label(method: str, opts: str | None, entries: list[tuple[str, str | None]], latex: bool) -> str:
    """The row label; baselines in italics with a dagger."""
    label = _label(method, opts, sum(m == method for m, _ in entries))
    if not is_baseline(method):
        return latex_escape(label) if latex else label
    return rf"\textit{{{latex_escape(label)}}}\textsuperscript{{\dag}}" if latex else f"*{label}* †"


def _grid(board: Board, task: str, model: str, latex: bool) -> tuple[list[str], list[list[list[str]]]]:
    """Header and row groups (contenders, baselines) of the main table of one task and model."""
    metrics, entries = board.metrics(task), board.entries(task, model)
    cells = _lookup(board.overall[board.overall["task"] == task], ["model", "method", "method_options", "metric",
                                                                   "metric_version"])
    sanity = _lookup(board.overall[board.overall["task"] == task], ["model", "method", "method_options"])
    head = ["method"] + [_metric_head(m, v, latex) for m, v in metrics] + (["sanity"] if board.has_sanity(task) else [])
    groups: list[list[list[str]]] = [[], []]
    for method, opts in entries:
        row = [_method_label(method, opts, entries, latex)]
        row += [_cell(cells.get((model, method, opts, m, v)), latex) for m, v in metrics]
        if board.has_sanity(task):
            s = sanity.get((model, method, opts))
            row.append((s.sanity if s is not None else "") or "not scored")
        groups[is_baseline(method)].append(row)
    return head, [g for g in groups if g]


def _class_grid(board: Board, task: str, model: str, metric: tuple[str, int], latex: bool
                ) -> tuple[list[str], list[list[str]]]:
    part = board.by_class[(board.by_class["task"] == task) & (board.by_class["model"] == model)]
    classes = class_order(task, sorted(part["true_class"].unique()))
    part = part[(part["metric"] == metric[0]) & (part["metric_version"] == metric[1])]
    cells = _lookup(part, ["method", "method_options", "true_class"])
    entries = board.entries(task, model)
    rows = []
    for method, opts in entries:
        rows.append([_method_label(method, opts, entries, latex)]
                    + [_cell(cells.get((method, opts, c)), latex, ranked=False) for c in classes])
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
            if miss := board.missing_baselines(t, model):
                out.append(f"{t}, model {model}: no rows for baseline(s) {', '.join(miss)} in these stores "
                           f"(shown as empty reference rows)")
        for m, _ in board.metrics(t):
            if not direction(m)[1]:
                out.append(f"{t}: metric {m} is not in this installation's metric registry; "
                           f"assumed higher is better (↑?)")
        if board.has_sanity(t):
            out.append(f"{t}: sanity = randomisation check per method: pass when the whole CI lies on the good "
                       f"side of the threshold ({board.cfg.sanity_threshold} unless the metric declares its own), "
                       f"fail when the mean lies on the bad side, else unclear")
        few = board.overall[(board.overall["task"] == t) & (board.overall["n"] > 0)]["speakers"]
        if len(few) and few.min() < 5:
            out.append(f"{t}: some cells rest on fewer than 5 speakers (min {few.min()}); their CIs are rough")
    return list(dict.fromkeys(out))


def provenance(board: Board, task: str | None) -> list[str]:
    """One line per run that contributed rows (from its manifest), then how the tables were made."""
    import scipy

    from . import __version__

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


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(map(esc, head)) + " |", "|" + "|".join(["---"] + ["--:"] * (len(head) - 1)) + "|"]
    return "\n".join(lines + ["| " + " | ".join(map(esc, r)) + " |" for r in rows])


LEGEND = ("Cells: mean over test samples [95 % CI] n=finite values, #rank (1 = best for the arrow's direction, "
          "within one model); bold = rank 1. † baseline (reference row, italics). ↑ higher is better, ↓ lower.")


def markdown_main_table(board: Board, task: str, model: str) -> str:
    """The main table of one task and model: methods x metrics (and the sanity column if any)."""
    head, groups = _grid(board, task, model, latex=False)
    return _md_table(head, [r for g in groups for r in g])


def markdown_task(board: Board, task: str) -> str:
    parts = [f"# Leaderboard: {task}", "", LEGEND]
    for model in board.models(task):
        parts += ["", f"## {model_line(board, task, model)}", "", markdown_main_table(board, task, model)]
        parts += ["", f"### {task} by true class (model {model})"]
        for metric in board.metrics(task):
            ch, crows = _class_grid(board, task, model, metric, latex=False)
            parts += ["", f"#### {_metric_head(*metric)}", "", _md_table(ch, crows)]
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
             _md_table(head, rows), "", "CSV: [leaderboard.csv](leaderboard.csv), "
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
