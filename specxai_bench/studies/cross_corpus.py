"""The cross-corpus study: models trained on one corpus, scored on another corpus's segments too."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.corpora.loading import corpus_rate
from ..data.splits import SPLITS
from ..data.tasks import get_task
from ..errors import ConfigError
from ..experiment import Experiment, RunConfig
from ..io import atomic_write_files, config_hash
from ..results.aggregate import BoardConfig, is_baseline
from ..results.board import load_stores
from ..results.render import md_table
from ..runtime import distributed
from .common import (
    StudyResult,
    cell,
    csv_text,
    footer_lines,
    group_map,
    model_note,
    page,
    predictions,
    rec,
    run_grid,
    run_predictions,
    run_rows,
)


def cross_corpus_study(base: RunConfig, out: Path, command: str, board: BoardConfig = BoardConfig(), *,
                       eval_corpus: str, eval_seed: int | None = None, eval_splits: tuple[str, ...] = ("test",)
                       ) -> StudyResult:
    """Train on ``base.corpus`` (the ordinary run), then score the same models on ``eval_corpus``."""
    from ..methods import METHODS
    from ..results.store import ResultStore
    from ..runner import TaskOutcome, attribution_targets, run_manifest, run_method

    if distributed.env_from().active:
        raise ConfigError("study cross-corpus runs in one process (the evaluation on the second corpus is not "
                          "sharded); launch it without torchrun")
    bad = [s for s in eval_splits if s not in SPLITS]
    if bad:
        raise ConfigError(f"--eval-splits: unknown split(s) {', '.join(bad)}; use {', '.join(SPLITS)}")
    exp_a = Experiment.create(base)
    profile, device = exp_a.profile, exp_a.device
    seed_b = base.seed if eval_seed is None else eval_seed
    if eval_corpus == base.corpus and seed_b == base.seed:
        raise ConfigError("the evaluation corpus is the training corpus (same --corpus spec and seed); give "
                          "another --eval-corpus, or --eval-seed for another synthetic corpus")
    exp_b = exp_a.with_corpus(eval_corpus, seed_b)
    rate_a, rate_b = corpus_rate(exp_a.corpus), corpus_rate(exp_b.corpus)
    rate_note = ""
    if rate_a != rate_b:  # never upsample: both corpora at the lower rate, the same full band
        low = min(rate_a, rate_b)
        rate_note = (f" The corpora's sample rates differ ({base.corpus}: {rate_a} Hz, {eval_corpus}: {rate_b} Hz): "
                     f"both are resampled down to {low} Hz (full band 0-{low / 2:g} Hz).")
        base = replace(base, sample_rate=low)
        exp_a = Experiment.create(base)
        exp_b = exp_a.with_corpus(eval_corpus, seed_b)
    if exp_a.split_plan.folds > 1:
        raise ConfigError(f"study cross-corpus evaluates one model per task on the other corpus; the training corpus "
                          f"would be cross-validated ({exp_a.split_plan.reason}): pass --folds 1")
    for t in exp_b.plan.tasks:  # the second corpus must be readable before any training starts
        exp_b.selection(t)
    summary, _ = run_grid(base)  # one process: it makes the table
    fp_b = exp_b.fingerprint
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", eval_corpus)[:48]
    store_b_path = Path(base.output) / "cross-corpus" / f"{slug}-seed{seed_b}-{fp_b}" / "results.sqlite"
    run_b = config_hash({"run": summary.run_id, "eval_corpus": eval_corpus, "eval_seed": seed_b,
                         "eval_splits": list(eval_splits)})
    t0 = time.time()
    preds_a = run_predictions(exp_a, summary, group_map(exp_a.corpus))
    preds_b, outcomes_b = [], []
    with ResultStore(store_b_path) as store_b:
        for o in summary.outcomes:
            task = get_task(o.task)
            model = exp_a.model(task, train=False)[0].to(device)
            data = exp_b.eval_data(task, eval_splits)
            pb = predictions(task, model, data, device, profile.eval_batch_size, group_map(exp_b.corpus))
            preds_b.append(pb)
            meta = {k: v for k, v in o.model_meta.items() if k != "history"} | {
                "profile": profile.name, "test_accuracy": float(pb["correct"].mean()) if len(pb) else None,
                "n_test": len(pb), "eval_corpus": eval_corpus, "eval_seed": seed_b, "eval_splits": list(eval_splits),
                "train_corpus": base.corpus}
            store_b.write_model(task.name, o.model, meta)
            ob = TaskOutcome(task.name, o.model, meta)
            targets = attribution_targets(model, data, base, device, profile)
            for spec in exp_a.plan.methods:
                run_method(store_b, run_b, task, ob, METHODS.create(spec, model), exp_a.plan.metrics, data, targets,
                           model, base, device)
            outcomes_b.append(ob)
        manifest = run_manifest(base, run_b, profile, device, exp_b, outcomes_b,
                                {"cross-corpus evaluation": time.time() - t0})
        manifest.update(command=command, corpus={"spec": eval_corpus, "name": exp_b.corpus.name, "fingerprint": fp_b,
                                                 "segments": len(exp_b.corpus), "seed": seed_b,
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
                     "corpus": n, **rec(c)} for n, c in ((name_a, ca), (name_b, cb))]
        ra, rb = rows_a[rows_a["task"] == o.task], rows_b[rows_b["task"] == o.task]
        for (method, metric), r in ra.groupby(["method", "metric"], sort=True):
            s = rb[(rb["method"] == method) & (rb["metric"] == metric)]
            ca, cb = cell(r["value"], r["speaker"], board), cell(s["value"], s["speaker"], board)
            diff = f"{cb.mean - ca.mean:+.3f}" if np.isfinite(ca.mean) and np.isfinite(cb.mean) else ""
            lines.append([method + (" †" if is_baseline(method) else ""), metric, ca.text(), cb.text(), diff])
            records += [{"study": "cross-corpus", "task": o.task, "model": o.model, "method": method, "metric": metric,
                         "corpus": n, **rec(c)} for n, c in ((name_a, ca), (name_b, cb))]
        body += [f"## {o.task} (model {o.model}, trained on {base.corpus})", "",
                 md_table(["method", "metric", f"trained-on corpus: {name_a}", f"other corpus: {name_b}",
                           "other − trained-on"], lines), ""]
    intro = [f"Models trained on {base.corpus} (seed {base.seed}) and evaluated, without retraining, on "
             f"{eval_corpus} (seed {seed_b}, {'+'.join(eval_splits)} split(s) of its speaker split). "
             f"The other corpus's rows are in {store_b_path}. † baseline.{rate_note}", "", model_note(summary)]
    merged = load_stores([summary.store_path, store_b_path])
    foot = footer_lines(summary, merged, command, board, [f"other corpus rows: {store_b_path} (run {run_b})"])
    files = atomic_write_files({out / "study-cross-corpus.md": page("Study: cross-corpus evaluation", intro, body, foot),
                          out / "study-cross-corpus.csv": csv_text(records, foot)})
    return StudyResult(files, summary.failures + [f for ob in outcomes_b for f in ob.failures])
