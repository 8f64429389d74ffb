"""The grid: task x method x metric over an :class:`~.experiment.Experiment`, resumable, written per
chunk to the result store."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from . import __version__
from .data.datasets import TaskData
from .data.sampling import draw_test_samples
from .data.tasks import Task
from .experiment import Experiment, Plan, RunConfig, plan
from .io import atomic_write_json, config_hash
from .methods import METHODS, AttributionMethod
from .metrics import METRICS, Metric, ScoringBatch
from .model.profiles import Profile
from .results.store import ResultRow, ResultStore
from .runtime import distributed
from .runtime.isolation import ModelGuard, call_plugin
from .runtime.progress import progress_bar, status


@dataclass
class TaskOutcome:
    task: str
    model: str
    model_meta: dict[str, Any]
    failures: list[str] = field(default_factory=list)
    samples: tuple[str, ...] = ()  # the test samples this run attributed (its tables show these)
    draw: dict[str, Any] = field(default_factory=dict)  # how they were drawn (data.sampling.Draw.record)


@dataclass
class RunSummary:
    run_id: str
    store_path: Path
    profile: Profile
    device: str
    outcomes: list[TaskOutcome]
    target: str = "true"
    stage_seconds: dict[str, float] = field(default_factory=dict)  # this invocation's (the manifest keeps all)

    @property
    def failures(self) -> list[str]:
        return [f for o in self.outcomes for f in o.failures]


def run(cfg: RunConfig) -> RunSummary:
    """Check the config, then run the grid under the output folder's lock.

    Launched by torchrun (WORLD_SIZE > 1), every rank runs this: training is data-parallel, the
    test batches are dealt to the ranks, and rank 0 merges the ranks' rows into one store
    (specxai_bench/runtime/distributed.py, docs/scaling.md).
    """
    checked = plan(cfg)
    with distributed.process_group(checked.device) as (env, device), distributed.output_lock(Path(cfg.output), env):
        exp = Experiment(cfg, Plan(checked.methods, checked.metrics, checked.tasks, checked.profile, device), env)
        return _run_locked(exp)


def _run_locked(exp: Experiment) -> RunSummary:
    cfg, env, profile, device = exp.cfg, exp.env, exp.profile, exp.device
    tasks = exp.plan.tasks
    run_id = config_hash({**cfg.identity(), "version": __version__})
    out = Path(cfg.output)
    say = status if env.is_main else (lambda message: None)
    say(f"specxai-bench run {run_id}: profile {profile.name} ({profile.arch}, {profile.image_size} px, "
        f"{profile.epochs} epochs) on {device}, tasks {', '.join(t.name for t in tasks)}"
        + (f", {env.world_size} processes" if env.active else ""))
    t0 = time.time()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    # every task's selection (of every fold) is checked (classes present, speakers) before training or writing
    for task in tasks:
        for fold in range(exp.split_plan.folds):
            exp.selection(task, fold)
    say(exp.split_plan.describe())  # where every speaker went
    stage_seconds: dict[str, float] = {"data": time.time() - t0}
    main_path = out / "results.sqlite"

    def open_stores() -> tuple[ResultStore, ResultStore | None]:
        with distributed.main_first(env):
            if env.is_main:
                distributed.merge_rank_stores(main_path)  # rows a killed multi-process run left behind
            store = ResultStore(distributed.rank_store_path(main_path, env.rank))
            done = ResultStore(main_path) if env.rank else None  # other ranks also skip what the run store holds
        return store, done

    # an existing store is checked (a damaged one fails) before any work; a new one is created only
    # once the first task's images are built and checked (bad audio leaves no results file behind)
    stores = _Stores(open_stores, now=env.active or main_path.exists())
    outcomes = []
    for task in tasks:  # the fold loop: one model per fold (one fold unless the corpus is cross-validated)
        folds = [_run_fold(exp, task, f, stores, run_id, stage_seconds) for f in range(exp.split_plan.folds)]
        outcome = folds[0] if len(folds) == 1 else cross_validated(task, folds, exp)
        if len(folds) > 1 and env.is_main:  # each fold's record names the pooled id, which has its own record
            store = stores.get()[0]
            for o in folds:
                store.write_model(task.name, o.model, _record(o.model_meta, profile))
            store.write_model(task.name, outcome.model, _record(outcome.model_meta, profile))
        outcomes.append(outcome)
    store, done = stores.get()
    store.close()
    if done is not None:
        done.close()
    if env.active:  # every rank's failures in every outcome; then rank 0 merges the rank stores
        for outcome, failures in zip(outcomes, zip(*distributed.all_gather([o.failures for o in outcomes], env))):
            outcome.failures = [f for per_rank in failures for f in per_rank]
        distributed.barrier(env)
        if env.is_main:
            t = time.time()
            distributed.merge_rank_stores(main_path)
            stage_seconds["merge"] = time.time() - t
    if env.is_main:
        manifest = run_manifest(cfg, run_id, profile, device, exp, outcomes, stage_seconds)
        if env.active:
            manifest["distributed"] = {"world_size": env.world_size, "backend": distributed.backend_for(device)}
        with ResultStore(main_path) as main:
            add_invocation(manifest, main.manifests().get(run_id), started)
            main.write_manifest(run_id, manifest)
        atomic_write_json(out / "manifest.json", manifest)
    distributed.barrier(env)  # the other ranks return once the store is complete
    return RunSummary(run_id, main_path, profile, device, outcomes, cfg.target, stage_seconds)


def add_invocation(manifest: dict[str, Any], previous: dict[str, Any] | None, started: str) -> None:
    """Keep every invocation's record: the run id names what is computed (the same command again, or a
    resumed one, has the same id), so each invocation appends its own start, stage times and failures to
    ``invocations`` instead of overwriting the one before; ``created`` stays the first invocation's."""
    before = [] if previous is None else previous.get("invocations") or [
        {"started": previous.get("created"), "finished": previous.get("created"),
         "stage_seconds": previous.get("stage_seconds", {}), "failures": len(previous.get("failures", []))}]
    if previous is not None and previous.get("created"):
        manifest["created"] = previous["created"]
    manifest["invocations"] = before + [{"started": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                         "stage_seconds": manifest["stage_seconds"],
                                         "failures": len(manifest["failures"])}]


class _Stores:
    """The run's stores, opened on first use: an existing store is checked before any work, a new one is
    created only once the first task's images are built and checked (bad audio leaves no results file)."""

    def __init__(self, opener: Callable[[], tuple[ResultStore, ResultStore | None]], now: bool) -> None:
        self._opener = opener
        self.pair = opener() if now else None

    def get(self) -> tuple[ResultStore, ResultStore | None]:
        if self.pair is None:
            self.pair = self._opener()
        return self.pair


def _run_fold(exp: Experiment, task: Task, fold: int, stores: _Stores, run_id: str,
              stage_seconds: dict[str, float]) -> TaskOutcome:
    """One task on one fold: its model (trained or loaded), the cue check of the shortcut tasks, then every
    method and metric on the samples drawn from its test split."""
    cfg, env, profile, device = exp.cfg, exp.env, exp.profile, exp.device
    plan = exp.split_plan
    say = status if env.is_main else (lambda message: None)
    suffix = f" fold {fold + 1}/{plan.folds}" if plan.folds > 1 else ""
    t = time.time()
    splits = exp.data(task, fold=fold)
    stage_seconds["data"] += time.time() - t
    store, done = stores.get()
    t = time.time()
    model, meta = exp.model(task, fold=fold)
    stage_seconds[f"model:{task.name}{suffix}"] = time.time() - t
    if task.shortcut is not None:  # band removal / intervention check: does the model use the planted cue?
        from .model.checks import cue_check
        key, check = cue_check(model, task, exp.selection(task, fold)["test"], splits["test"].images,
                               profile.image_size, cfg.seed, device, profile.eval_batch_size)
        meta = {**meta, key: check}
    if plan.folds > 1:
        test_speakers = sorted(u for u, s in plan.assignments[fold].items() if s == "test")
        meta = {**meta, "fold": fold + 1, "folds": plan.folds, "test_speakers": test_speakers}
        say(f"[{task.name}]{suffix}: model {meta['config_hash']}, test accuracy {meta['test_accuracy']:.3f} "
            f"(n={meta.get('n_test')}, speakers {', '.join(test_speakers)})")
    if env.is_main:
        store.write_model(task.name, meta["config_hash"], _record(meta, profile))
    outcome = TaskOutcome(task.name, meta["config_hash"], meta)
    t = time.time()
    test = splits["test"]
    if "intervention" in meta:  # tf-shortcut: only the samples on which the model provably uses the cue
        from .model.checks import provable_index
        test = test.subset(provable_index(test.ids, meta["intervention"]))
    test, draw = draw_test_samples(test, cfg.max_samples, cfg.seed, task)
    outcome.samples, outcome.draw = test.ids, draw.record()
    targets = attribution_targets(model, test, cfg, device, profile)
    metric_specs = exp.plan.metrics
    if fold == 0 and not any(METRICS.create(s).applies_to(task.kind) for s in metric_specs):
        say(f"[{task.name}] none of the metrics asked for applies to this task (kind {task.kind}): nothing "
            f"to score; `specxai-bench list metrics` shows each metric's tasks")
    for spec in exp.plan.methods:
        run_method(store, run_id, task, outcome, METHODS.create(spec, model), metric_specs, test, targets,
                   model, cfg, device, env, done)
    stage_seconds[f"attribute+score:{task.name}{suffix}"] = time.time() - t
    return outcome


def _record(meta: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """A model's record in the store: its metadata without the training history."""
    return {k: v for k, v in meta.items() if k != "history"} | {"profile": profile.name}


def cross_validated(task: Task, folds: list[TaskOutcome], exp: Experiment) -> TaskOutcome:
    """The folds of one task as one outcome: rows of every fold's test speakers under one id (the boards
    pool them: every speaker is behind a cell), accuracy pooled over the folds' test samples."""
    n = [int(o.model_meta.get("n_test") or 0) for o in folds]
    correct = sum(float(o.model_meta["test_accuracy"]) * k for o, k in zip(folds, n))
    cv_id = config_hash({"cross_validation": [o.model for o in folds]})
    per_fold = [{k: o.model_meta.get(k) for k in ("fold", "config_hash", "test_accuracy", "val_accuracy", "n_test",
                                                  "test_speakers", "checkpoint", "cached", "train_seconds",
                                                  "best_epoch")} for o in folds]
    first = folds[0].model_meta
    meta = {k: first.get(k) for k in ("task", "arch", "image_size", "profile", "device") if k in first} | {
        "config_hash": cv_id, "test_accuracy": correct / max(sum(n), 1), "n_test": sum(n),
        "cached": all(o.model_meta.get("cached") for o in folds), "folds": per_fold,
        "cross_validation": {"folds": len(folds), "unit": "speaker", "split": exp.split_plan.reason}}
    outcome = TaskOutcome(task.name, cv_id, meta, [f for o in folds for f in o.failures],
                          tuple(s for o in folds for s in o.samples), {"folds": [o.draw for o in folds]})
    status(f"[{task.name}] {len(folds)}-fold cross-validation {cv_id}: test accuracy {meta['test_accuracy']:.3f} "
           f"pooled over {sum(n)} samples (folds: {', '.join(format(m['test_accuracy'], '.3f') for m in per_fold)})")
    for o in folds:  # each fold's record names the pooled id, so stored rows can be read as one board
        o.model_meta["cv"] = {"id": cv_id, "fold": o.model_meta.get("fold"), "folds": len(folds)}
    return outcome


def attribution_targets(model: torch.nn.Module, data: TaskData, cfg: RunConfig, device: str, profile: Profile) -> torch.Tensor:
    if cfg.target == "true":
        return data.targets
    from .model.predict import predict
    return predict(model, data.images, device, profile.eval_batch_size)


def run_method(store: ResultStore, run_id: str, task: Task, outcome: TaskOutcome, method: AttributionMethod,
                metric_specs: list[str], test: TaskData, targets: torch.Tensor, model: torch.nn.Module,
                cfg: RunConfig, device: str, env: distributed.DistEnv = distributed.SINGLE,
                done: ResultStore | None = None) -> None:
    metrics: list[Metric] = [m for m in (METRICS.create(s) for s in metric_specs) if m.applies_to(task.kind)]
    options = json.dumps(method.options(), sort_keys=True)
    method = method.with_axis(test.axis)  # maps placed by frequency (band_prior) need the images' rows in Hz
    native = tuple(method.native_resolution(test.images.shape[-1]))  # the grid the maps are made on
    if env.is_main:  # shown beside their scores (results/store.py); grid-scored metrics read it
        store.write_native_grid(task.name, outcome.model, method.name, options, native)
    stores = [store] if done is None else [store, done]
    todo = sorted(set().union(*(set(test.ids) - set().union(*(s.done_samples(task.name, outcome.model, cfg.target,
                                                                             method.name, options, m.id, m.version)
                                                               for s in stores)) for m in metrics)))
    if not metrics or not todo:
        return
    wanted = set(todo)
    if env.active:
        # the batches one process would form on a fresh run, dealt round-robin to the ranks: every sample
        # lands in the same batch as in a single-process run; samples already stored are then dropped
        full = [range(i, min(i + cfg.batch_size, len(test))) for i in range(0, len(test), cfg.batch_size)]
        batches = [b for b in ([i for i in r if test.ids[i] in wanted] for r in distributed.shard(full, env)) if b]
        if not batches:
            return
        index = [i for b in batches for i in b]
    else:
        index = [i for i, s in enumerate(test.ids) if s in wanted]
        batches = [index[i:i + cfg.batch_size] for i in range(0, len(index), cfg.batch_size)]

    def attribute_and_score(idx: list[int], guard: ModelGuard | None) -> tuple[list[ResultRow], list[str], float]:
        """One batch: the method's maps and every metric's values on them as rows, the failures, the method's
        seconds. With ``guard``, the model is checked (and restored) after every plugin call."""
        sub = test.subset(idx)
        images, tg = sub.images.to(device), targets[idx].to(device)
        failures: list[str] = []
        t = time.time()
        # the method gets its own copies: what it does to its inputs cannot reach the metrics
        maps, error = call_plugin(lambda: method.attribute(images.clone(), tg.clone()), f"method {method.name}",
                                  cfg.call_timeout, guard)
        seconds = time.time() - t
        bad = np.ones(len(idx), bool) if maps is None else ~torch.isfinite(maps).flatten(1).all(1).cpu().numpy()
        if bad.any():
            why = error or "non-finite attribution (NaN or inf)"
            failures.append(f"{task.name}/{method.name}: {int(bad.sum())} sample(s) failed: {why} "
                            f"(first: {sub.ids[int(np.argmax(bad))]})")
        batch = None if maps is None else ScoringBatch(torch.nan_to_num(maps), images, tg, sub.f0, sub.formants,
                                                       sub.axis, model, method, sub.bands, sub.boxes, sub.durations,
                                                       native_grid=native)
        rows = []
        for metric in metrics:
            values, errors = _score(metric, batch, len(idx), cfg.call_timeout, guard)
            for j in range(len(idx)):
                err = (error or "non-finite attribution") if bad[j] else errors[j]
                val = None if err or not np.isfinite(values[j]) else float(values[j])
                rows.append(ResultRow(task.name, outcome.model, cfg.target, method.name, options, metric.id,
                                      metric.version, sub.ids[j], sub.labels[j], sub.speakers[j], int(tg[j]), val,
                                      err, run_id))
            failed = [j for j in range(len(idx)) if errors[j] and not bad[j]]
            if failed:
                failures.append(f"{task.name}/{method.name}/{metric.id}: {len(failed)} sample(s) failed: "
                                f"{errors[failed[0]]} (first: {sub.ids[failed[0]]})")
        return rows, failures, seconds

    guard = ModelGuard(model)  # every plugin call must leave the model as the run trained it
    seconds = 0.0
    for idx in progress_bar(batches, desc=f"[{task.name}] {method.name}", unit="batch",
                            enabled=cfg.progress and env.is_main):
        # The model is compared with its snapshot once per batch (comparing every weight costs about as much as
        # a forward pass of a small batch). Only a batch whose calls changed it runs again, checked after every
        # call, which restores the model and discards exactly the calls that changed it: the rows are those of
        # a check after every call, and a batch that leaves the model alone pays for one check.
        rows, failures, call_seconds = attribute_and_score(idx, None)
        if guard.check() is not None:
            rows, failures, call_seconds = attribute_and_score(idx, guard)
        outcome.failures.extend(failures)
        seconds += call_seconds
        store.write_rows(rows)
    store.write_timing(task.name, outcome.model, method.name, options, len(index), seconds, run_id)


def _score(metric: Metric, batch: ScoringBatch | None, n: int, timeout: float,
           guard: ModelGuard | None = None) -> tuple[np.ndarray, list[str | None]]:
    """One metric on one batch: its values and, per sample, the error (None where the value stands).

    The metric gets copies of the maps, images, targets and tracks, so it cannot change what the
    metrics after it see. inf is an error; so is NaN, unless the metric declares what its NaN means
    (``Metric.nan_means``: e.g. an all-zero map has no positive mass to share out).
    """
    if batch is None:
        return np.full(n, np.nan), [None] * n
    values, error = call_plugin(lambda: np.asarray(metric.score(_private_copy(batch)), dtype=np.float64),
                                f"metric {metric.id}", timeout, guard)
    if error is None and values.shape != (n,):
        error = f"ValueError: metric {metric.id} returned shape {values.shape}, expected ({n},)"
    if error is not None:
        return np.full(n, np.nan), [error] * n
    errors: list[str | None] = [None] * n
    for j in np.flatnonzero(np.isinf(values)):
        errors[j] = f"metric {metric.id} returned {values[j]} (inf is never a score)"
    if not metric.nan_means:
        for j in np.flatnonzero(np.isnan(values)):
            errors[j] = (f"metric {metric.id} returned NaN and does not declare what NaN means "
                         "(Metric.nan_means)")
    return values, errors


def _private_copy(batch: ScoringBatch) -> ScoringBatch:
    """The batch with its own copies of every array a metric could write to."""
    return replace(batch, attributions=batch.attributions.clone(), images=batch.images.clone(),
                   targets=batch.targets.clone(), f0=batch.f0.copy(), formants=batch.formants.copy(),
                   bands=None if batch.bands is None else batch.bands.copy())


def run_manifest(cfg: RunConfig, run_id: str, profile: Profile, device: str, exp: Experiment,
                 outcomes: list[TaskOutcome], stage_seconds: dict[str, float]) -> dict[str, Any]:
    """The run's provenance: its command (derived from ``cfg``), config, profile, device, corpus, models,
    failures, stage times and library versions."""
    # Captum's and Quantus's versions from their metadata: importing them takes ~0.7 s
    from importlib.metadata import version

    import torchvision

    from .model.checks import intervention_summary

    return {
        "run": run_id, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": cfg.command(),
        "config": {**asdict(cfg), "output": str(cfg.output)}, "profile": asdict(profile), "device": device,
        "device_name": torch.cuda.get_device_name() if device.startswith("cuda") else platform.processor() or "cpu",
        "corpus": {"spec": (exp.corpus_spec or (cfg.corpus,))[0], "name": exp.corpus.name,
                   "fingerprint": exp.fingerprint, "segments": len(exp.corpus)},
        "target_class": cfg.target,
        "samples": {o.task: o.draw for o in outcomes},  # the test samples attributed per task, and the rule
        "models": {o.task: {k: o.model_meta.get(k) for k in ("config_hash", "test_accuracy", "val_accuracy",
                                                                "n_test", "checkpoint", "cached", "train_seconds",
                                                                "best_epoch", "n_train", "precision", "threads",
                                                                "still_improving")}
                   | {"train_cap": exp.train_caps.get(o.task)}
                   | ({"band_removal": o.model_meta["band_removal"]} if "band_removal" in o.model_meta else {})
                   | ({"intervention": intervention_summary(o.model_meta["intervention"])}
                      if "intervention" in o.model_meta else {})
                   | ({"folds": o.model_meta["folds"]} if "folds" in o.model_meta else {})
                   for o in outcomes},
        "split": {"scheme": exp.split_plan.reason, "unit": exp.split_plan.unit, "folds": exp.split_plan.folds,
                  "where": exp.split_plan.where()},
        "failures": [f for o in outcomes for f in o.failures], "stage_seconds": stage_seconds,
        "versions": {"specxai_bench": __version__, "python": platform.python_version(), "torch": torch.__version__,
                     "torchvision": torchvision.__version__, "captum": version("captum"),
                     "quantus": version("quantus"), "grad-cam": version("grad-cam"), "numpy": np.__version__},
        "deterministic_note": "CPU kernels are deterministic for a seed; CUDA kernels may not be bitwise.",
    }
