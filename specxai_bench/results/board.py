"""Boards: stored per-sample rows from one or more stores -> aggregated cells for the renderers.

Tables are made only from the rows (never recomputed) and the same rows give the same bytes:
fixed float formats, stable sort orders, dates taken from the run manifests, a seeded bootstrap
(:mod:`.aggregate`). A `run` prints a board scoped to its own samples; `leaderboard` renders the
whole stores. Every file is written with :func:`specxai_bench.io.atomic_write_files`, so an
interrupted regeneration leaves the previous files whole. docs/leaderboards.md describes the output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from ..errors import ConfigError
from ..runtime.lock import lock_holder
from .aggregate import CELL, BoardConfig, is_baseline, sanity_frame, stage_frame, summarise
from .paired import compare
from .store import KEY, ResultStore


class Entry(NamedTuple):
    """One row of a board's main table: a method with its options, under one target mode."""

    method: str
    options: str
    target_mode: str


# a run's scope: (task, model, target mode) -> the sample ids its tables cover
Scope = dict[tuple[str, str, str], set[str]]


@dataclass
class Sources:
    """The merged contents of the stores given, in the order given."""

    paths: list[str]
    rows: pd.DataFrame
    models: dict[tuple[str, str], dict[str, Any]]
    manifests: dict[str, dict[str, Any]]
    timings: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    # each method's native grid: task, model, method, method_options, grid ("7x7"); the first store wins
    native_grids: pd.DataFrame = field(default_factory=pd.DataFrame)

    def native_grid(self, task: str, model: str, method: str, options: str) -> str | None:
        """The grid ("7x7") the method's maps were made on, or None where no store recorded it."""
        g = self.native_grids
        hit = g[(g["task"] == task) & (g["model"] == model) & (g["method"] == method)
                & (g["method_options"] == options)] if len(g) else g
        return str(hit["grid"].iloc[0]) if len(hit) else None


UNFINISHED = ("UNFINISHED RUN: a run (pid {pid}) was still writing {store} when this board was made; rows may be "
              "missing. Regenerate the board when it has finished")


def load_stores(paths: list[str | Path]) -> Sources:
    """Read and merge stores; a key present in several stores counts once (the first store wins)."""
    frames, timings, grids, models, manifests, notes = [], [], [], {}, {}, []
    for p in paths:
        if not Path(p).is_file():
            raise ConfigError(f"results store {p} does not exist; give the results.sqlite a run wrote")
        if (pid := lock_holder(Path(p).parent)) is not None:
            notes.insert(0, UNFINISHED.format(store=p, pid=pid))
        with ResultStore(Path(p), read_only=True) as store:
            frames.append(store.rows_frame().assign(store=str(p)))
            timings.append(store.timings_frame())
            grids.append(store.native_grids_frame())
            mf = store.models_frame()
            for task, model, meta in zip(mf["task"], mf["model"], mf["meta"]):
                models.setdefault((task, model), json.loads(meta))
            for run, man in store.manifests().items():
                manifests.setdefault(run, {**man, "_store": str(p)})
    rows = pd.concat(frames, ignore_index=True)
    if rows.empty:
        raise ConfigError(f"no result rows in {', '.join(map(str, paths))}; run `specxai-bench run` first")
    key = list(KEY)
    dup = rows.duplicated(key, keep="first")
    if dup.any():
        differ = rows.groupby(key)["value"].nunique(dropna=False).gt(1).sum()
        notes.append(f"{int(dup.sum())} row(s) found in more than one store were counted once (first store "
                     f"given wins); {int(differ)} of them had differing values")
    rows = pool_folds(rows[~dup], models).sort_values(key, kind="stable").reset_index(drop=True)
    rows["true_class"] = [true_class(t, lab, tg, mode)
                          for t, lab, tg, mode in zip(rows["task"], rows["label"], rows["target"], rows["target_mode"])]
    split = {t: classes_apart(t) for t in rows["task"].unique()}
    rows["part"] = [c if split[t] else "all" for t, c in zip(rows["task"], rows["true_class"])]
    native = pd.concat(grids, ignore_index=True).drop_duplicates(["task", "model", "method", "method_options"])
    return Sources([str(p) for p in paths], rows, models, manifests,
                   pool_folds(pd.concat(timings, ignore_index=True), models), notes,
                   pool_folds(native, models).drop_duplicates(["task", "model", "method", "method_options"])
                   .reset_index(drop=True))


def pool_folds(frame: pd.DataFrame, models: dict[tuple[str, str], dict[str, Any]]) -> pd.DataFrame:
    """Rows of a speaker-cross-validated run's fold models under the run's pooled id (each fold's model
    record names it, ``cv``), so a board cell has every speaker behind it; ``fold`` keeps each row's fold."""
    cv = {key: meta["cv"] for key, meta in models.items() if isinstance(meta.get("cv"), dict)}
    if not cv or frame.empty:
        return frame
    keys = list(zip(frame["task"], frame["model"]))
    return frame.assign(fold=[cv[k]["fold"] if k in cv else None for k in keys],
                        model=[cv[k]["id"] if k in cv else k[1] for k in keys])


def true_class(task: str, label: str, target: int | None = None, target_mode: str | None = None) -> str:
    """The sample's true class from its phone label (the label itself for a task not registered here).

    On the shortcut task the class is dealt independently of the label, so only the attributed
    target tells it, and only in runs that attributed the true class ("unknown" otherwise).
    """
    from ..data.tasks import ALL_TASKS

    t = ALL_TASKS.get(task)
    if t is None:
        return label
    if t.shortcut is not None:
        ok = target_mode == "true" and target is not None and 0 <= int(target) < len(t.classes)
        return t.classes[int(target)] if ok else "unknown"
    return t.label_map.get(label, label)


def classes_apart(task: str) -> bool:
    """Whether the main table reads the task's classes apart: voicing, whose classes test opposite
    hypotheses (the F0 region present in voiced samples, absent in unvoiced ones)."""
    from ..data.tasks import ALL_TASKS

    return task in ALL_TASKS and ALL_TASKS[task].kind == "voicing"


def class_order(task: str, present: list[str]) -> list[str]:
    from ..data.tasks import ALL_TASKS

    known = list(ALL_TASKS[task].classes) if task in ALL_TASKS else []
    return [c for c in known if c in present] + sorted(c for c in present if c not in known)


@dataclass
class Board:
    """Everything the renderers need: aggregated cells plus the sources' metadata.

    ``overall``: one row per cell of the main tables (CELL + part), with paired comparisons and earned
    ranks (:mod:`.paired`); ``by_class``: per true class; ``sanity``: the sanity flag per entry and
    part (:func:`.aggregate.sanity_frame`); ``stages``: randomisation curves per mode
    (:func:`.aggregate.stage_frame`, by part)."""

    sources: Sources
    cfg: BoardConfig
    command: str
    overall: pd.DataFrame
    by_class: pd.DataFrame
    sanity: pd.DataFrame = field(default_factory=pd.DataFrame)
    stages: dict[str, pd.DataFrame] = field(default_factory=dict)

    def tasks(self) -> list[str]:
        """Registered tasks in their registry order (the paper's, then the study's), then any others by name."""
        from ..data.tasks import ALL_TASKS

        present = set(self.overall["task"])
        return [t for t in ALL_TASKS if t in present] + sorted(present - set(ALL_TASKS))

    def models(self, task: str) -> list[str]:
        return sorted(self.overall.loc[self.overall["task"] == task, "model"].unique())

    def metrics(self, task: str) -> list[tuple[str, int]]:
        part = self.overall[self.overall["task"] == task]
        return sorted({(m, int(v)) for m, v in zip(part["metric"], part["metric_version"])})

    def has_sanity(self, task: str) -> bool:
        return bool(len(self.sanity)) and task in set(self.sanity["task"])

    def parts(self, task: str) -> list[str]:
        """The main table's parts: "all", or the task's classes for a task read class by class."""
        present = sorted(set(self.sources.rows.loc[self.sources.rows["task"] == task, "part"]))
        return present if present == ["all"] else class_order(task, present)

    def entries(self, task: str, model: str) -> list[Entry]:
        """The table's rows in order: contenders by name, then the baselines in their registration order."""
        from ..methods import METHODS

        rows = self.sources.rows
        part = rows[(rows["task"] == task) & (rows["model"] == model)]
        have = sorted({Entry(m, o, t) for m, o, t in zip(part["method"], part["method_options"], part["target_mode"])},
                      key=lambda e: (e.target_mode != "true", e.target_mode, e.method, e.options))
        order = {name: i for i, name in enumerate(METHODS.registered())}
        contenders = [e for e in have if not is_baseline(e.method)]
        base = sorted((e for e in have if is_baseline(e.method)), key=lambda e: order.get(e.method, len(order)))
        return contenders + base

    def target_modes(self, task: str, model: str) -> list[str]:
        return sorted({e.target_mode for e in self.entries(task, model)})

    def runs(self, task: str | None = None) -> list[str]:
        rows = self.sources.rows
        return sorted((rows if task is None else rows[rows["task"] == task])["run"].unique())


def build_board(paths: list[str | Path], cfg: BoardConfig = BoardConfig(), command: str | None = None, *,
                scope: Scope | None = None, metrics: set[str] | None = None, methods: list[str] | None = None
                ) -> Board:
    """Load, merge and aggregate: overall cells (ranked, sanity-flagged) and per-class cells.

    ``scope``, ``metrics`` and ``methods`` restrict the rows to one run's samples, metric ids and
    method names (what `run` prints: its own grid, whichever run computed the stored rows).
    """
    src = load_stores(paths)
    src.rows = restrict(src.rows, scope, metrics, methods)
    if src.rows.empty:
        raise ConfigError(f"no result rows for this selection in {', '.join(map(str, paths))}")
    scores = score_rows(src.rows)
    overall = compare(scores, summarise(scores, CELL + ["part"], cfg), cfg)
    by_class = summarise(scores, CELL + ["true_class"], cfg)
    stages = {mode: stage_frame(src.rows, mode, cfg, by=("part",)) for mode in ("cascade", "independent")}
    return Board(src, cfg, command or default_command(src.paths, None, cfg), overall, by_class,
                 sanity_frame(src.rows, cfg), stages)


def score_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows that are cells of the main and per-class tables: all but the randomisation stages, which
    are shown as curves (first-version randomisation rows, a single column, stay)."""
    from ..metrics.randomisation import parse_id

    staged = {m for m in rows["metric"].unique() if (c := parse_id(m)) is not None and c["mode"] != "full"}
    return rows[~rows["metric"].isin(staged)].reset_index(drop=True)


def restrict(rows: pd.DataFrame, scope: Scope | None, metrics: set[str] | None, methods: list[str] | None
             ) -> pd.DataFrame:
    if scope is not None:
        keys = zip(rows["task"], rows["model"], rows["target_mode"], rows["sample"])
        rows = rows[[s in scope.get((t, m, mode), ()) for t, m, mode, s in keys]]
    if metrics is not None:
        rows = rows[rows["metric"].isin(metrics)]
    if methods is not None:
        rows = rows[rows["method"].isin(methods)]
    return rows.reset_index(drop=True)


def default_command(paths: list[str], out: str | Path | None, cfg: BoardConfig) -> str:
    """The command line that regenerates these tables (options shown only where not default; paths relative
    to the working folder, so the line names no local folders and a committed board regenerates byte for byte)."""
    parts = ["specxai-bench leaderboard --results", *map(display_path, paths)]
    parts += [f"--out {display_path(out)}"] if out is not None else []
    base = BoardConfig()
    for flag, attr in (("--n-resamples", "n_resamples"), ("--seed", "seed"),
                       ("--sanity-threshold", "sanity_threshold"), ("--min-speakers", "min_speakers")):
        if getattr(cfg, attr) != getattr(base, attr):
            parts.append(f"{flag} {getattr(cfg, attr):g}" if isinstance(getattr(cfg, attr), float)
                         else f"{flag} {getattr(cfg, attr)}")
    return " ".join(parts)


def display_path(path: str | Path) -> str:
    """``path`` relative to the working folder, with forward slashes."""
    import os

    return Path(os.path.relpath(Path(path).absolute())).as_posix()
