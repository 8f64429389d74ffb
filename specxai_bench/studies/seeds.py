"""Stability across training seeds: N models trained on identical data, their maps and metric means compared.

`specxai-bench study seeds --train-seeds N` runs the ordinary grid N times with --train-seed = --seed,
--seed + 1, ... (the corpus, split and sample draw stay on --seed, so every model sees the same
training data and is attributed on the same test samples). Then, per task:

- **map agreement** per method and test sample (Shen et al., "On the reliability of feature
  attribution methods for speech classification", Interspeech 2025: inter-seed agreement): for each
  pair of seeds, Spearman's rank correlation of |A| over the image cells, and the IoU of the two
  maps' top ``top_share`` (10 %) cells by |A|; a sample's value is the mean over the N (N - 1) / 2
  pairs. The true class is attributed (the seeds' predictions may differ). A constant map has no
  ranking and no top cells: NaN. Identical models give 1 and 1.
- **metric stability** per method and board metric: each seed's mean with its within-model CI (the
  boards' cluster bootstrap over speakers), and the SD of the N means (between seeds) beside the
  mean half-width of the within-model CIs: a ratio above 1 says that retraining moves the number
  by more than its CI admits.

Maps are recomputed here (the run stores scores, not maps) and cached per task and method under
OUTPUT/cache/seeds, so a rerun resumes.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..experiment import Experiment, RunConfig
from ..io import atomic_write_files, atomic_write_json, config_hash
from ..metrics.correlation import spearman_rows
from ..registry import parse_spec
from ..results.aggregate import BoardConfig, is_baseline
from ..results.render import md_table
from ..runner import RunSummary
from .common import StudyResult, cell, csv_text, footer_lines, metric_ids, model_note, page, rec, run_grid, run_rows

MIN_CI_SPEAKERS = 5  # an interval needs this many speakers behind it (the boards' rule)


def seeds_study(base: RunConfig, out: Path, command: str, board: BoardConfig = BoardConfig(), *,
                train_seeds: int = 5, top_share: float = 0.1) -> StudyResult:
    """N training seeds on identical data: inter-seed agreement of the maps, metric SD between seeds."""
    if train_seeds < 2:
        raise ConfigError(f"--train-seeds must be at least 2 (agreement needs a pair of models), got {train_seeds}")
    if not 0 < top_share < 1:
        raise ConfigError(f"--top-share must lie in (0, 1), got {top_share}")
    seeds = [base.seed + i for i in range(train_seeds)]
    summaries, main = [], True
    for s in seeds:  # the first is the ordinary run's model (--train-seed defaults to --seed)
        summary, main = run_grid(replace(base, train_seed=None if s == base.seed else s))
        summaries.append(summary)
    failures = [f for s in summaries for f in s.failures]
    if not main:
        return StudyResult([], failures)
    exp = Experiment.create(base)
    maps = pd.concat([map_agreement(exp, task, summaries, seeds, top_share) for task in exp.plan.tasks],
                     ignore_index=True)
    rows, src = run_rows(_merged(summaries))
    metrics = metric_ids(exp.plan.metrics)
    rows = rows[rows["method"].isin({parse_spec(m).name for m in exp.plan.methods})]
    records, body = [], []
    for task in exp.plan.tasks:
        samples = _common_samples(summaries, task.name)
        part = rows[(rows["task"] == task.name) & rows["sample"].isin(samples)]
        body += _task_section(task.name, summaries, seeds, maps[maps["task"] == task.name], part,
                              list(metrics.values()), board, records, top_share)
    intro = [f"{len(seeds)} models per task, trained with --train-seed {', '.join(map(str, seeds))} on identical data "
             f"(corpus, split and test samples on --seed {base.seed}). Map agreement: per test sample, the mean over "
             f"the {len(seeds) * (len(seeds) - 1) // 2} pair(s) of seeds of Spearman's correlation of |A| and of the IoU "
             f"of the top {top_share:.0%} cells by |A| (1 = the same map); metric stability: the SD of the seeds' "
             "means beside the mean half-width of each model's own 95 % CI. Intervals only with at least "
             f"{MIN_CI_SPEAKERS} speakers. † = model-free baseline (its maps do not depend on the model).",
             "", model_note(summaries[0]), "", *headline(maps)]
    foot = footer_lines(_merged(summaries), src, command, board)
    files = {out / "seed-stability.md": page("Study: stability across training seeds", intro, body, foot),
             out / "seed-stability.csv": csv_text(records, foot)}
    return StudyResult(atomic_write_files(files), failures)


def _merged(summaries: list[RunSummary]) -> RunSummary:
    """One summary over the seeds' runs (their outcomes together), for the rows and the provenance."""
    first = summaries[0]
    return replace(first, outcomes=[o for s in summaries for o in s.outcomes])


def _common_samples(summaries: list[RunSummary], task: str) -> set[str]:
    return set.intersection(*(set(next(o for o in s.outcomes if o.task == task).samples) for s in summaries))


def topk_iou(a: np.ndarray, b: np.ndarray, share: float) -> np.ndarray:
    """[B]: IoU of the top ``share`` cells of |a| and of |b| (rows [B, N]; ties broken by cell order);
    NaN where either map is constant."""
    n = a.shape[1]
    k = max(1, math.ceil(share * n))

    def top(x: np.ndarray) -> np.ndarray:
        sel = np.zeros(x.shape, bool)
        np.put_along_axis(sel, np.argsort(-np.abs(x), axis=1, kind="stable")[:, :k], True, axis=1)
        return sel

    inter = (top(a) & top(b)).sum(1)
    iou = inter / (2 * k - inter)
    varies = (np.ptp(np.abs(a), 1) > 0) & (np.ptp(np.abs(b), 1) > 0)
    return np.where(varies, iou, np.nan)


def pair_agreement(maps: list[np.ndarray], share: float) -> tuple[np.ndarray, np.ndarray]:
    """Per sample, the mean over every pair of seeds' maps ([B, H, W] each) of Spearman's correlation of
    |A| and of the top-``share`` IoU."""
    flat = [np.abs(m.reshape(len(m), -1)).astype(np.float64) for m in maps]
    rho, iou = [], []
    for i in range(len(flat)):
        for j in range(i + 1, len(flat)):
            rho.append(spearman_rows(flat[i], flat[j]))
            iou.append(topk_iou(flat[i], flat[j], share))
    return np.mean(rho, 0), np.mean(iou, 0)


def map_agreement(exp: Experiment, task: Any, summaries: list[RunSummary], seeds: list[int], share: float
                  ) -> pd.DataFrame:
    """One row per (method, test sample): the inter-seed agreement of its maps (cached per method)."""
    from ..methods import METHODS

    samples = _common_samples(summaries, task.name)
    data = exp.data(task, ("test",))["test"]
    data = data.subset([i for i, s in enumerate(data.ids) if s in samples])
    models = [next(o for o in s.outcomes if o.task == task.name).model for s in summaries]
    frames = []
    loaded: list[Any] = []
    for spec in exp.plan.methods:
        key = config_hash({"task": task.name, "models": models, "method": spec, "samples": list(data.ids),
                           "share": share, "format": 1})
        path = exp.output / "cache" / "seeds" / f"{task.name}-{parse_spec(spec).name}-{key}.json"
        if path.exists():
            values = pd.DataFrame(json.loads(path.read_text()), columns=["sample", "speaker", "spearman", "iou"])
        else:
            if not loaded:
                loaded = [exp.with_train_seed(s).model(task, train=False)[0] for s in seeds]
            methods = [METHODS.create(spec, m) for m in loaded]
            rho, iou = [], []
            bs = exp.cfg.batch_size
            for start in range(0, len(data), bs):
                images = data.images[start:start + bs].to(exp.device)
                targets = data.targets[start:start + bs].to(exp.device)
                r, i = pair_agreement([m.attribute(images, targets).cpu().numpy() for m in methods], share)
                rho.append(r)
                iou.append(i)
            values = pd.DataFrame({"sample": list(data.ids), "speaker": list(data.speakers),
                                   "spearman": np.concatenate(rho) if rho else [],
                                   "iou": np.concatenate(iou) if iou else []})
            atomic_write_json(path, values.to_dict("records"))
        frames.append(values.assign(task=task.name, method=parse_spec(spec).name, spec=spec))
    return pd.concat(frames, ignore_index=True)


def _record(task: str, method: str, what: str, metric: str, **values: float) -> dict[str, Any]:
    """One CSV line; every line has every column (blank where it does not apply)."""
    cols = ("mean", "ci_low", "ci_high", "n", "speakers", "sd", "ci_half_width", "seeds")
    return {"study": "seeds", "task": task, "method": method, "what": what, "metric": metric,
            **{k: values.get(k, "") for k in cols}}


def _text(c: Any) -> str:
    """A cell's text, its interval only with enough speakers behind it."""
    if c.n == 0:
        return "—"
    ci = (f"[{c.low:.3f}, {c.high:.3f}]" if c.speakers >= MIN_CI_SPEAKERS and np.isfinite(c.low)
          else f"[no CI: {c.speakers} spk]")
    return f"{c.mean:.3f} {ci} n={c.n}"


def _label(method: str) -> str:
    return method + (" †" if is_baseline(method) else "")


def headline(maps: pd.DataFrame) -> list[str]:
    """The most stable model-dependent method per task (highest mean Spearman of |A| between seeds)."""
    out = []
    for task, part in maps.groupby("task", sort=False):
        means = part[~part["method"].map(is_baseline)].groupby("spec")["spearman"].mean().dropna()
        if len(means):
            best = means.idxmax()
            out.append(f"Most stable across seeds on {task}: {best} (mean Spearman of |A| {means[best]:.3f}; "
                       + ", ".join(f"{m} {v:.3f}" for m, v in means.sort_values(ascending=False).items()) + ").")
    return out


def _task_section(task: str, summaries: list[RunSummary], seeds: list[int], maps: pd.DataFrame, rows: pd.DataFrame,
                  metrics: list[str], board: BoardConfig, records: list[dict[str, Any]], share: float) -> list[str]:
    accs = [next(o for o in s.outcomes if o.task == task).model_meta.get("test_accuracy", np.nan) for s in summaries]
    acc_text = ", ".join(f"seed {s}: {a:.3f}" for s, a in zip(seeds, accs))
    out = [f"## {task}", "", f"Test accuracy per training seed: {acc_text} (SD {np.std(accs, ddof=1):.3f}).", "",
           "### Map agreement between seeds", ""]
    lines = []
    for spec, part in maps.groupby("spec", sort=False):
        rho, iou = (cell(part[k], part["speaker"], board) for k in ("spearman", "iou"))
        lines.append([_label(spec), _text(rho), _text(iou), str(part["speaker"].nunique())])
        for name, c in (("spearman_abs", rho), (f"top{share * 100:g}pct_iou", iou)):
            records.append(_record(task, spec, name, "", **rec(c)))
    out += [md_table(["method", "Spearman of |A| [95 % CI]", f"top-{share:.0%} IoU [95 % CI]", "speakers"], lines),
            "", "### Metric means across seeds", ""]
    models = {next(o for o in s.outcomes if o.task == task).model: seed for s, seed in zip(summaries, seeds)}
    lines = []
    for (method, metric), part in rows[rows["metric"].isin(metrics)].groupby(["method", "metric"], sort=True):
        cells = {models[m]: cell(g["value"], g["speaker"], board) for m, g in part.groupby("model") if m in models}
        means = np.array([c.mean for c in cells.values()])
        if not np.isfinite(means).any():
            continue
        half = np.array([(c.high - c.low) / 2 for c in cells.values() if c.speakers >= MIN_CI_SPEAKERS])
        sd = float(np.std(means, ddof=1)) if np.isfinite(means).sum() >= 2 else np.nan
        width = float(np.mean(half)) if len(half) and np.isfinite(half).all() else np.nan
        ratio = sd / width if np.isfinite(sd) and np.isfinite(width) and width > 0 else np.nan
        lines.append([_label(method), metric, f"{np.nanmean(means):.3f}", f"{sd:.3f}",
                      f"{width:.3f}" if np.isfinite(width) else "no CI", f"{ratio:.2f}" if np.isfinite(ratio) else "—",
                      str(len(cells))])
        records.append(_record(task, method, "between_seed_sd", metric, mean=float(np.nanmean(means)), sd=sd,
                               ci_half_width=width, seeds=len(cells)))
    out += [md_table(["method", "metric", "mean of the seeds' means", "SD between seeds",
                      "within-model CI half-width (mean)", "SD / half-width", "seeds"], lines), ""]
    return out
