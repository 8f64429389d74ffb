"""The grid: task x model x method x metric, resumable, written per chunk to the result store."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import __version__, distributed
from .corpora.base import Corpus
from .corpora.loading import load_corpus
from .data import TaskData, build_task_data
from .isolation import time_limit
from .methods import METHODS, AttributionMethod
from .metrics import METRICS, Metric, ScoringBatch
from .models import config_hash
from .profiles import SIZE_OVERRIDES, Profile, resolve_device, resolve_profile
from .progress import progress_bar, status
from .results import ResultRow, ResultStore
from .tasks import Task, resolve_tasks, select_segments
from .training import train_or_load

TARGETS = ("true", "predicted")


@dataclass(frozen=True)
class RunConfig:
    methods: tuple[str, ...]
    metrics: tuple[str, ...]
    tasks: tuple[str, ...]
    corpus: str = "synthetic"
    profile: str = "auto"
    arch: str | None = None
    device: str = "auto"
    seed: int = 0
    output: Path = Path("specxai-output")
    retrain: bool = False
    target: str = "true"
    batch_size: int = 16
    max_samples: int = 0  # per class of each task's test split; 0 = all (for expensive methods)
    weights: Path | None = None  # initial backbone weights (e.g. ImageNet), a torchvision state dict
    call_timeout: float = 600.0  # seconds per method or metric call on one batch; 0 = no limit
    progress: bool = True
    # reduced-size runs (studies on two cores): override the profile's epochs, image size, corpus size
    epochs: int | None = None
    image_size: int | None = None
    speakers_per_group: int | None = None


_SIZE_OVERRIDES = tuple(SIZE_OVERRIDES)  # epochs, image_size, speakers_per_group: enter the run id only when set


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

    @property
    def failures(self) -> list[str]:
        return [f for o in self.outcomes for f in o.failures]


def validate(cfg: RunConfig) -> tuple[list[str], list[str], list[Task], Profile, str]:
    """Check every name before any work starts (an unknown name exits at once)."""
    methods = METHODS.resolve(cfg.methods)
    metrics = METRICS.resolve(cfg.metrics)
    tasks = resolve_tasks(",".join(cfg.tasks))
    device = resolve_device(cfg.device)
    from .errors import ConfigError
    # the size overrides are checked against their minimums there (profiles.SIZE_OVERRIDES)
    profile = resolve_profile(cfg.profile, device).with_overrides(
        arch=cfg.arch, epochs=cfg.epochs, image_size=cfg.image_size, speakers_per_group=cfg.speakers_per_group)
    if cfg.speakers_per_group is not None and cfg.corpus.partition(":")[0] != "synthetic":
        raise ConfigError(f"--speakers-per-group sizes the synthetic corpus; --corpus {cfg.corpus} has its own "
                          "speakers")
    if cfg.max_samples < 0:
        raise ConfigError(f"--max-samples must be >= 0 (0 = all), got {cfg.max_samples}")
    if cfg.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {cfg.batch_size}")
    if not (cfg.call_timeout >= 0 and np.isfinite(cfg.call_timeout)):
        raise ConfigError(f"--call-timeout must be seconds >= 0 (0 = no limit), got {cfg.call_timeout}")
    if cfg.weights is not None:  # a weights file that is missing or does not fit fails before any work
        from .models import SpectrogramClassifier, load_backbone_weights
        load_backbone_weights(SpectrogramClassifier(profile.arch, 2), cfg.weights)
    if cfg.target not in TARGETS:
        raise ConfigError(f"--target must be one of {', '.join(TARGETS)}, got {cfg.target!r}")
    return methods, metrics, tasks, profile, device


def run(cfg: RunConfig) -> RunSummary:
    """Validate, then run the grid under the output folder's lock.

    Launched by torchrun (WORLD_SIZE > 1), every rank runs this: training is data-parallel, the
    test batches are dealt to the ranks, and rank 0 merges the ranks' rows into one store
    (specxai_bench/distributed.py, docs/scaling.md).
    """
    method_names, metric_names, tasks, profile, device = validate(cfg)
    with distributed.process_group(device) as (env, device), distributed.output_lock(Path(cfg.output), env):
        return _run_locked(cfg, method_names, metric_names, tasks, profile, device, env)


def _run_locked(cfg: RunConfig, method_names: list[str], metric_names: list[str], tasks: list[Task],
                profile: Profile, device: str, env: distributed.DistEnv = distributed.SINGLE) -> RunSummary:
    run_id = config_hash({**{k: v for k, v in asdict(cfg).items() if not (k in _SIZE_OVERRIDES and v is None)},
                          "output": None, "progress": None, "call_timeout": None, "version": __version__})
    out = Path(cfg.output)
    say = status if env.is_main else (lambda message: None)
    say(f"specxai-bench run {run_id}: profile {profile.name} ({profile.arch}, {profile.image_size} px) "
        f"on {device}, tasks {', '.join(t.name for t in tasks)}"
        + (f", {env.world_size} processes" if env.active else ""))
    t0 = time.time()
    labels = [lab for t in tasks for lab in t.label_map]
    with distributed.main_first(env):  # rank 0 fills the corpus caches, the other ranks read them
        corpus = load_corpus(cfg.corpus, synthetic=profile.corpus, seed=cfg.seed, labels=labels,
                             cache_dir=out / "cache", progress=cfg.progress and env.is_main)
    fingerprint = corpus.fingerprint()
    # every task's selection is checked (classes present, speakers) before training or writing starts
    selections = {task.name: select_segments(task, corpus, cfg.seed) for task in tasks}
    stage_seconds: dict[str, float] = {"data": time.time() - t0}
    main_path = out / "results.sqlite"
    with distributed.main_first(env):
        if env.is_main:
            distributed.merge_rank_stores(main_path)  # rows a killed multi-process run left behind
        store = ResultStore(distributed.rank_store_path(main_path, env.rank))
        done = ResultStore(main_path) if env.rank else None  # other ranks also skip what the run store holds
    cache = profile.name == "paper" or device.startswith("cuda") or env.active
    outcomes = []
    for task in tasks:
        t = time.time()
        if cache:  # spectrograms computed once (by rank 0) and loaded as tensors afterwards
            from .cache import cached_task_data

            with distributed.main_first(env):
                splits = cached_task_data(task, corpus, profile.image_size, cfg.seed, cache_dir=out / "cache",
                                          corpus_fingerprint=fingerprint, selected=selections[task.name],
                                          progress=cfg.progress and env.is_main)
        else:
            splits = build_task_data(task, corpus, profile.image_size, cfg.seed, progress=cfg.progress,
                                     selected=selections[task.name])
        stage_seconds["data"] += time.time() - t
        t = time.time()
        model, meta = train_or_load(task, splits, profile, corpus_fingerprint=fingerprint, seed=cfg.seed,
                                    device=device, checkpoint_dir=out / "checkpoints", retrain=cfg.retrain,
                                    weights=cfg.weights, progress=cfg.progress and env.is_main)
        stage_seconds[f"model:{task.name}"] = time.time() - t
        if task.shortcut is not None:  # the band removal test: does the model use the planted band?
            from .shortcut import band_check
            check = band_check(model, task, selections[task.name]["test"], splits["test"].images, profile.image_size,
                               cfg.seed, device, profile.eval_batch_size)
            meta = {**meta, "band_removal": check}
        if env.is_main:
            store.write_model(task.name, meta["config_hash"], {k: v for k, v in meta.items() if k != "history"}
                              | {"profile": profile.name})
        outcome = TaskOutcome(task.name, meta["config_hash"], meta)
        t = time.time()
        test = _limit(splits["test"], cfg.max_samples)
        outcome.samples = test.ids
        targets = _targets(model, test, cfg, device, profile)
        if not any(METRICS.get(n)().applies_to(task.kind) for n in metric_names):
            say(f"[{task.name}] none of the metrics asked for applies to this task (kind {task.kind}): nothing "
                f"to score; `specxai-bench list metrics` shows each metric's tasks")
        for name in method_names:
            _run_method(store, run_id, task, outcome, METHODS.get(name)(model), metric_names, test, targets, model,
                        cfg, device, env, done)
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
        manifest = _manifest(cfg, run_id, profile, device, corpus, fingerprint, outcomes, stage_seconds)
        if env.active:
            manifest["distributed"] = {"world_size": env.world_size, "backend": distributed.backend_for(device)}
        with ResultStore(main_path) as main:
            main.write_manifest(run_id, manifest)
        _write_json_atomic(out / "manifest.json", manifest)
    distributed.barrier(env)  # the other ranks return once the store is complete
    return RunSummary(run_id, main_path, profile, device, outcomes)


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


def _targets(model: torch.nn.Module, data: TaskData, cfg: RunConfig, device: str, profile: Profile) -> torch.Tensor:
    if cfg.target == "true":
        return data.targets
    from .training import predict
    return predict(model, data.images, device, profile.eval_batch_size)


def _run_method(store: ResultStore, run_id: str, task: Task, outcome: TaskOutcome, method: AttributionMethod,
                metric_names: list[str], test: TaskData, targets: torch.Tensor, model: torch.nn.Module,
                cfg: RunConfig, device: str, env: distributed.DistEnv = distributed.SINGLE,
                done: ResultStore | None = None) -> None:
    metrics: list[Metric] = [m for m in (METRICS.get(n)() for n in metric_names) if m.applies_to(task.kind)]
    options = json.dumps(method.options(), sort_keys=True)
    stores = [store] if done is None else [store, done]
    todo = sorted(set().union(*(set(test.ids) - set().union(*(s.done_samples(task.name, outcome.model, method.name,
                                                                             options, m.id, m.version)
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
                rows.append(ResultRow(task.name, outcome.model, method.name, options, metric.id, metric.version,
                                      sub.ids[j], sub.labels[j], sub.speakers[j], int(tg[j]), val, err, run_id))
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


def _manifest(cfg: RunConfig, run_id: str, profile: Profile, device: str, corpus: Corpus, fingerprint: str,
              outcomes: list[TaskOutcome], stage_seconds: dict[str, float]) -> dict[str, Any]:
    import captum
    import quantus
    import torchvision
    from importlib.metadata import version

    return {
        "run": run_id, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": cfg_command(cfg),
        "config": {**asdict(cfg), "output": str(cfg.output)}, "profile": asdict(profile), "device": device,
        "device_name": torch.cuda.get_device_name() if device.startswith("cuda") else platform.processor() or "cpu",
        "corpus": {"spec": cfg.corpus, "name": corpus.name, "fingerprint": fingerprint,
                   "segments": len(corpus)},
        "target_class": cfg.target,
        "models": {o.task: {k: o.model_meta.get(k) for k in ("config_hash", "test_accuracy", "val_accuracy",
                                                                "n_test", "checkpoint", "cached", "train_seconds",
                                                                "best_epoch")}
                   | ({"band_removal": o.model_meta["band_removal"]} if "band_removal" in o.model_meta else {})
                   for o in outcomes},
        "failures": [f for o in outcomes for f in o.failures], "stage_seconds": stage_seconds,
        "versions": {"specxai_bench": __version__, "python": platform.python_version(), "torch": torch.__version__,
                     "torchvision": torchvision.__version__, "captum": captum.__version__,
                     "quantus": quantus.__version__, "grad-cam": version("grad-cam"), "numpy": np.__version__},
        "deterministic_note": "CPU kernels are deterministic for a seed; CUDA kernels may not be bitwise.",
    }


def cfg_command(cfg: RunConfig) -> str:
    parts = ["specxai-bench run", f"--methods {','.join(cfg.methods)}", f"--metrics {','.join(cfg.metrics)}",
             f"--tasks {','.join(cfg.tasks)}", f"--corpus {cfg.corpus}", f"--profile {cfg.profile}",
             f"--seed {cfg.seed}"]
    if cfg.arch:
        parts.append(f"--arch {cfg.arch}")
    if cfg.target != "true":
        parts.append(f"--target {cfg.target}")
    parts += [f"--{k.replace('_', '-')} {getattr(cfg, k)}" for k in _SIZE_OVERRIDES if getattr(cfg, k) is not None]
    return " ".join(parts)


def _write_json_atomic(path: Path, obj: dict[str, Any]) -> None:
    from .models import atomic_write_bytes
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())
