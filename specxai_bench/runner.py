"""The grid: task x method x metric over an :class:`~.experiment.Experiment`, resumable, written per
chunk to the result store."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import __version__
from .data.datasets import TaskData
from .data.tasks import Task
from .experiment import Experiment, Plan, RunConfig, plan
from .io import atomic_write_json, config_hash
from .methods import METHODS, AttributionMethod
from .metrics import METRICS, Metric, ScoringBatch
from .model.profiles import Profile
from .results.store import ResultRow, ResultStore
from .runtime import distributed
from .runtime.isolation import time_limit
from .runtime.progress import progress_bar, status


@dataclass
class TaskOutcome:
    task: str
    model: str
    model_meta: dict[str, Any]
    failures: list[str] = field(default_factory=list)
    samples: tuple[str, ...] = ()  # the test samples this run attributed (its tables show these)


@dataclass
class RunSummary:
    run_id: str
    store_path: Path
    profile: Profile
    device: str
    outcomes: list[TaskOutcome]
    target: str = "true"

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
    tasks, method_specs, metric_specs = exp.plan.tasks, exp.plan.methods, exp.plan.metrics
    run_id = config_hash({**cfg.identity(), "version": __version__})
    out = Path(cfg.output)
    say = status if env.is_main else (lambda message: None)
    say(f"specxai-bench run {run_id}: profile {profile.name} ({profile.arch}, {profile.image_size} px) "
        f"on {device}, tasks {', '.join(t.name for t in tasks)}"
        + (f", {env.world_size} processes" if env.active else ""))
    t0 = time.time()
    # every task's selection is checked (classes present, speakers) before training or writing starts
    for task in tasks:
        exp.selection(task)
    stage_seconds: dict[str, float] = {"data": time.time() - t0}
    main_path = out / "results.sqlite"
    with distributed.main_first(env):
        if env.is_main:
            distributed.merge_rank_stores(main_path)  # rows a killed multi-process run left behind
        store = ResultStore(distributed.rank_store_path(main_path, env.rank))
        done = ResultStore(main_path) if env.rank else None  # other ranks also skip what the run store holds
    outcomes = []
    for task in tasks:
        t = time.time()
        splits = exp.data(task)
        stage_seconds["data"] += time.time() - t
        t = time.time()
        model, meta = exp.model(task)
        stage_seconds[f"model:{task.name}"] = time.time() - t
        if task.shortcut is not None:  # the band removal test: does the model use the planted band?
            from .model.checks import band_check
            check = band_check(model, task, exp.selection(task)["test"], splits["test"].images, profile.image_size,
                               cfg.seed, device, profile.eval_batch_size)
            meta = {**meta, "band_removal": check}
        if env.is_main:
            store.write_model(task.name, meta["config_hash"], {k: v for k, v in meta.items() if k != "history"}
                              | {"profile": profile.name})
        outcome = TaskOutcome(task.name, meta["config_hash"], meta)
        t = time.time()
        test = _limit(splits["test"], cfg.max_samples)
        outcome.samples = test.ids
        targets = attribution_targets(model, test, cfg, device, profile)
        if not any(METRICS.create(s).applies_to(task.kind) for s in metric_specs):
            say(f"[{task.name}] none of the metrics asked for applies to this task (kind {task.kind}): nothing "
                f"to score; `specxai-bench list metrics` shows each metric's tasks")
        for spec in method_specs:
            run_method(store, run_id, task, outcome, METHODS.create(spec, model), metric_specs, test, targets,
                        model, cfg, device, env, done)
        stage_seconds[f"attribute+score:{task.name}"] = time.time() - t
        outcomes.append(outcome)
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
            main.write_manifest(run_id, manifest)
        atomic_write_json(out / "manifest.json", manifest)
    distributed.barrier(env)  # the other ranks return once the store is complete
    return RunSummary(run_id, main_path, profile, device, outcomes, cfg.target)


def _limit(data: TaskData, per_class: int) -> TaskData:
    """The first ``per_class`` test samples of each class, in sample-id order (0 = all)."""
    if per_class <= 0:
        return data
    order = sorted(range(len(data)), key=lambda i: data.ids[i])
    keep, count = [], {}
    for i in order:
        c = int(data.targets[i])
        if count.get(c, 0) < per_class:
            keep.append(i)
            count[c] = count.get(c, 0) + 1
    return data.subset(sorted(keep))


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
    seconds = 0.0
    for idx in progress_bar(batches, desc=f"[{task.name}] {method.name}", unit="batch",
                            enabled=cfg.progress and env.is_main):
        sub = test.subset(idx)
        images, tg = sub.images.to(device), targets[idx].to(device)
        t = time.time()
        try:
            with time_limit(cfg.call_timeout, f"method {method.name}"):
                maps = method.attribute(images, tg)
            error = None
        except Exception as exc:  # a failing plugin is recorded per sample; the grid goes on
            maps, error = None, f"{type(exc).__name__}: {exc}"
        seconds += time.time() - t
        bad = np.ones(len(idx), bool) if maps is None else ~torch.isfinite(maps).flatten(1).all(1).cpu().numpy()
        if bad.any():
            why = error or "non-finite attribution (NaN or inf)"
            outcome.failures.append(f"{task.name}/{method.name}: {int(bad.sum())} sample(s) failed: {why} "
                                    f"(first: {sub.ids[int(np.argmax(bad))]})")
        batch = None if maps is None else ScoringBatch(torch.nan_to_num(maps), images, tg, sub.f0, sub.formants,
                                                       sub.axis, model, method, sub.bands)
        rows = []
        for metric in metrics:
            values, merr = _score(metric, batch, len(idx), cfg.call_timeout)
            for j in range(len(idx)):
                err = (error or "non-finite attribution") if bad[j] else merr
                val = None if (bad[j] or merr) else (float(values[j]) if np.isfinite(values[j]) else None)
                rows.append(ResultRow(task.name, outcome.model, cfg.target, method.name, options, metric.id,
                                      metric.version, sub.ids[j], sub.labels[j], sub.speakers[j], int(tg[j]), val,
                                      err, run_id))
            if merr:
                outcome.failures.append(f"{task.name}/{method.name}/{metric.id}: {merr}")
        store.write_rows(rows)
    store.write_timing(task.name, outcome.model, method.name, options, len(index), seconds, run_id)


def _score(metric: Metric, batch: ScoringBatch | None, n: int, timeout: float) -> tuple[np.ndarray, str | None]:
    if batch is None:
        return np.full(n, np.nan), None
    try:
        with time_limit(timeout, f"metric {metric.id}"):
            values = np.asarray(metric.score(batch), dtype=np.float64)
        if values.shape != (n,):
            raise ValueError(f"returned shape {values.shape}, expected ({n},)")
        return values, None
    except Exception as exc:
        return np.full(n, np.nan), f"{type(exc).__name__}: {exc}"


def run_manifest(cfg: RunConfig, run_id: str, profile: Profile, device: str, exp: Experiment,
                 outcomes: list[TaskOutcome], stage_seconds: dict[str, float]) -> dict[str, Any]:
    """The run's provenance: its command (derived from ``cfg``), config, profile, device, corpus, models,
    failures, stage times and library versions."""
    from importlib.metadata import version

    import captum
    import quantus
    import torchvision

    return {
        "run": run_id, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": cfg.command(),
        "config": {**asdict(cfg), "output": str(cfg.output)}, "profile": asdict(profile), "device": device,
        "device_name": torch.cuda.get_device_name() if device.startswith("cuda") else platform.processor() or "cpu",
        "corpus": {"spec": (exp.corpus_spec or (cfg.corpus,))[0], "name": exp.corpus.name,
                   "fingerprint": exp.fingerprint, "segments": len(exp.corpus)},
        "target_class": cfg.target,
        "models": {o.task: {k: o.model_meta.get(k) for k in ("config_hash", "test_accuracy", "val_accuracy",
                                                                "n_test", "checkpoint", "cached", "train_seconds",
                                                                "best_epoch", "n_train", "precision", "threads",
                                                                "still_improving")}
                   | {"train_cap": exp.train_caps.get(o.task)}
                   | ({"band_removal": o.model_meta["band_removal"]} if "band_removal" in o.model_meta else {})
                   for o in outcomes},
        "failures": [f for o in outcomes for f in o.failures], "stage_seconds": stage_seconds,
        "versions": {"specxai_bench": __version__, "python": platform.python_version(), "torch": torch.__version__,
                     "torchvision": torchvision.__version__, "captum": captum.__version__,
                     "quantus": quantus.__version__, "grad-cam": version("grad-cam"), "numpy": np.__version__},
        "deterministic_note": "CPU kernels are deterministic for a seed; CUDA kernels may not be bitwise.",
    }
