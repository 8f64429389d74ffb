"""What the studies share: cells with a speaker bootstrap, the run and its predictions and rows, rendering."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.corpora.base import Corpus
from ..data.tasks import Task, get_task
from ..errors import ConfigError, DataError
from ..experiment import Experiment, RunConfig
from ..results.aggregate import BoardConfig, cluster_bootstrap
from ..results.board import Board, load_stores
from ..results.render import provenance
from ..runner import RunSummary, run
from ..runtime import distributed


@dataclass(frozen=True)
class StudyResult:
    """The files a study wrote (none on ranks other than 0) and every method or metric failure of its runs
    (the CLI exits 3 when there is one, after the tables of what succeeded are written)."""

    files: list[Path]
    failures: list[str] = field(default_factory=list)


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

def run_grid(cfg: RunConfig) -> tuple[RunSummary, bool]:
    """The ordinary run (all ranks under torchrun), and whether this process goes on to make the table:
    rank 0 does; the other ranks stop there (their :class:`StudyResult` holds only the failures)."""
    summary = run(cfg)
    return summary, distributed.is_reporter()


def predictions(task: Task, model: Any, data: Any, device: str, batch_size: int, group_of: dict[str, str]
                ) -> pd.DataFrame:
    """One row per sample: speaker, group, whether the model's prediction is the true class."""
    from ..model.predict import predict

    pred = predict(model.to(device), data.images, device, batch_size)
    return pd.DataFrame({"task": task.name, "sample": list(data.ids), "speaker": list(data.speakers),
                         "group": [group_of.get(s, "unknown") for s in data.speakers],
                         "correct": (pred == data.targets).numpy().astype(np.float64)})


def run_predictions(exp: Experiment, summary: RunSummary, group_of: dict[str, str]) -> pd.DataFrame:
    """Every sample of the run's test splits with the run's models' predictions (every fold's, for a
    cross-validated run: each sample predicted by the model that did not train on its speaker)."""
    frames = []
    for o in summary.outcomes:
        task = get_task(o.task)
        for fold in range(exp.split_plan.folds):
            model, _ = exp.model(task, train=False, fold=fold)
            data = exp.data(task, ("test",), fold)["test"]
            frames.append(predictions(task, model, data, exp.device, 32, group_of).assign(model=o.model))
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
    from ..data.corpora.targets import GROUPS

    return [g for g in GROUPS if g in groups] + sorted(g for g in groups if g not in GROUPS)


def metric_ids(specs: list[str]) -> dict[str, str]:
    """metric spec -> id with parameters (what the rows hold)."""
    from ..metrics import METRICS

    return {s: METRICS.create(s).id for s in specs}


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


def page(title: str, intro: list[str], body: list[str], footer: list[str]) -> str:
    return "\n".join([f"# {title}", "", *intro, "", *body, "", "## Provenance", "",
                      *[f"- {line}" for line in footer]]) + "\n"


def rec(c: Cell) -> dict[str, Any]:
    return {"mean": c.mean, "ci_low": c.low, "ci_high": c.high, "n": c.n, "speakers": c.speakers}

