"""The one builder of corpus -> splits -> images -> model, for a run config or a finished run's manifest.

`run`, `report`, the studies and the Python API all reach their data and models through
:class:`Experiment`, so a corpus is read, a split drawn and a checkpoint named in one way only.
:class:`RunConfig` is what a run is asked to do; :func:`plan` checks every name and option in it
before any work starts; :meth:`RunConfig.command` prints the command line that asks for it again.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .data.corpora.base import Corpus
from .data.corpora.loading import load_corpus
from .data.capping import cap_per_class, cap_summary
from .data.datasets import TaskData, build_task_data
from .data.splits import SPLITS, select_segments
from .data.tasks import Task, get_task, resolve_tasks
from .errors import ConfigError
from .model.profiles import SIZE_OVERRIDES, Profile, resolve_device, resolve_profile
from .model.training import train_or_load
from .runtime import distributed
from .runtime.progress import status

TARGETS = ("true", "predicted")


@dataclass(frozen=True)
class RunConfig:
    """What a run computes. Every field is the `run` option of the same name (``--max-samples`` is
    ``max_samples``); methods and metrics are specs (``gradcam@layer=layer3``)."""

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
    max_train_per_class: int | None = None  # training segments per class (round-robin over speakers); 0 = all

    # where and how a run works, not what it computes: left out of its id and of its command
    NOT_IN_COMMAND = ("output", "progress", "retrain")

    def command(self) -> str:
        """The `specxai-bench run` command line that computes this run again (non-default options only).

        Derived from the fields, so it cannot drift from the config; ``--output`` is left out (it
        says where, not what), so the command reproduces the rows wherever it is run.
        """
        parts = ["specxai-bench run"]
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self.NOT_IN_COMMAND or (f.default is not dataclasses.MISSING and value == f.default):
                continue
            flag = "--" + f.name.replace("_", "-")
            if isinstance(value, bool):
                parts.append(flag)
            else:
                text = ",".join(value) if isinstance(value, tuple) else f"{value:g}" if isinstance(value, float) \
                    else str(value)
                parts.append(f"{flag} {shlex.quote(text)}")
        return " ".join(parts)

    def identity(self) -> dict[str, Any]:
        """The fields that decide what is computed (the run id hashes these)."""
        skip = set(self.NOT_IN_COMMAND) | {"call_timeout"}
        return {k: v for k, v in asdict(self).items()
                if k not in skip and not (k in SIZE_OVERRIDES and v is None)}

    @classmethod
    def from_manifest(cls, config: dict[str, Any], output: Path | None = None) -> "RunConfig":
        """The config a manifest recorded (fields a newer version added get their defaults)."""
        known = {f.name for f in fields(cls)}
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in config.items() if k in known}
        for key in ("output", "weights"):
            if kw.get(key) is not None:
                kw[key] = Path(kw[key])
        if output is not None:
            kw["output"] = Path(output)
        return cls(**kw)


@dataclass(frozen=True)
class Plan:
    """A checked RunConfig: method and metric specs, tasks, profile and device, all resolved."""

    methods: list[str]
    metrics: list[str]
    tasks: list[Task]
    profile: Profile
    device: str


def plan(cfg: RunConfig) -> Plan:
    """Check every name and option before any work starts (a bad one exits at once, exit code 2)."""
    from .methods import METHODS
    from .metrics import METRICS

    methods = METHODS.resolve(cfg.methods)
    metrics = METRICS.resolve(cfg.metrics)
    tasks = resolve_tasks(",".join(cfg.tasks))
    device = resolve_device(cfg.device)
    # the size overrides are checked against their minimums there (profiles.SIZE_OVERRIDES)
    profile = resolve_profile(cfg.profile, device).with_overrides(
        arch=cfg.arch, epochs=cfg.epochs, image_size=cfg.image_size, speakers_per_group=cfg.speakers_per_group,
        max_train_per_class=cfg.max_train_per_class)
    if cfg.speakers_per_group is not None and cfg.corpus.partition(":")[0] != "synthetic":
        raise ConfigError(f"--speakers-per-group sizes the synthetic corpus; --corpus {cfg.corpus} has its own "
                          "speakers")
    if cfg.max_samples < 0:
        raise ConfigError(f"--max-samples must be >= 0 (0 = all), got {cfg.max_samples}")
    if cfg.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {cfg.batch_size}")
    if not (cfg.call_timeout >= 0 and np.isfinite(cfg.call_timeout)):
        raise ConfigError(f"--call-timeout must be seconds >= 0 (0 = no limit), got {cfg.call_timeout}")
    if cfg.target not in TARGETS:
        raise ConfigError(f"--target must be one of {', '.join(TARGETS)}, got {cfg.target!r}")
    if cfg.weights is not None:  # a weights file that is missing or does not fit fails before any work
        from .model.checkpoints import load_backbone_weights
        from .model.classifier import SpectrogramClassifier

        load_backbone_weights(SpectrogramClassifier(profile.arch, 2), cfg.weights)
    probe = _probe(profile.arch)  # options that need a model (layers) are checked on it
    for spec in methods:
        METHODS.create(spec, probe)
    for spec in metrics:
        METRICS.create(spec)
    return Plan(methods, metrics, tasks, profile, device)


@lru_cache(maxsize=2)
def _probe(arch: str) -> torch.nn.Module:
    """An untrained model of ``arch`` to check method options against (never trained or changed)."""
    from .model.classifier import SpectrogramClassifier

    return SpectrogramClassifier(arch, 2).eval()


@dataclass
class Experiment:
    """Corpus -> splits -> images -> model for one run config: each built once, on first use.

    ``corpus`` overrides the config's corpus spec and its seed (the cross-corpus study evaluates on
    another corpus with the same split seed); ``env`` is this process's place under torchrun.
    """

    cfg: RunConfig
    plan: Plan
    env: distributed.DistEnv = distributed.SINGLE
    corpus_spec: tuple[str, int] | None = None
    _selections: dict[str, dict[str, list]] = field(default_factory=dict, repr=False)
    _drawn: dict[str, dict[str, list]] = field(default_factory=dict, repr=False)  # before the training cap
    train_caps: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)  # task -> what the cap did
    _last_data: tuple[tuple[str, tuple[str, ...]], dict[str, TaskData]] | None = field(default=None, repr=False)

    @classmethod
    def create(cls, cfg: RunConfig, env: distributed.DistEnv = distributed.SINGLE, *,
               corpus: tuple[str, int] | None = None) -> "Experiment":
        return cls(cfg, plan(cfg), env, corpus)

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any], output: Path | None = None) -> "Experiment":
        """The experiment of a finished run, from the manifest it wrote (``output``: where its folder is now)."""
        return cls.create(RunConfig.from_manifest(manifest["config"], output))

    @property
    def profile(self) -> Profile:
        return self.plan.profile

    @property
    def device(self) -> str:
        return self.plan.device

    @property
    def output(self) -> Path:
        return Path(self.cfg.output)

    @cached_property
    def corpus(self) -> Corpus:
        spec, seed = self.corpus_spec or (self.cfg.corpus, self.cfg.seed)
        labels = [lab for t in self.plan.tasks for lab in t.label_map]
        with distributed.main_first(self.env):  # rank 0 fills the corpus caches, the other ranks read them
            return load_corpus(spec, synthetic=self.profile.corpus, seed=seed, labels=labels,
                               cache_dir=self.output / "cache", progress=self.cfg.progress and self.env.is_main)

    @cached_property
    def fingerprint(self) -> str:
        return self.corpus.fingerprint()

    def task(self, name: str) -> Task:
        return get_task(name)

    def selection(self, task: Task) -> dict[str, list]:
        """Split -> [(segment, class)], drawn once per task (checks classes and speakers); the training
        split capped at the profile's ``max_train_per_class`` (data/capping.py), said when it binds."""
        if task.name not in self._selections:
            selected = select_segments(task, self.corpus, self.cfg.seed)
            cap = self.profile.max_train_per_class
            capped = cap_per_class(selected["train"], cap, self.cfg.seed)
            summary = cap_summary(selected["train"], capped, cap)
            if summary is not None:
                self.train_caps[task.name] = summary
                if self.env.is_main:
                    status(f"[{task.name}] training set capped at {cap} segments per class, drawn round-robin over "
                           f"{summary['speakers']} speakers: {summary['kept']} of {summary['available']} "
                           "(--max-train-per-class 0 trains on all)")
            self._drawn[task.name] = selected
            self._selections[task.name] = {**selected, "train": capped}
        return self._selections[task.name]

    def data(self, task: Task, splits: tuple[str, ...] = SPLITS) -> dict[str, TaskData]:
        """The images and tracks of ``splits`` (the other splits come back empty).

        The last answer is kept: `run` asks for a task's data and then, when the model must be
        trained, asks again for the same images, which would otherwise be computed twice."""
        key = (task.name, tuple(splits))
        if self._last_data is None or self._last_data[0] != key:
            selected = self.selection(task)
            self._last_data = (key, self._build(task, {s: (selected[s] if s in splits else []) for s in SPLITS}))
        return self._last_data[1]

    def eval_data(self, task: Task, splits: tuple[str, ...]) -> TaskData:
        """The samples of ``splits`` pooled into one TaskData (e.g. every speaker of a corpus that only
        evaluates models trained on another): the training split uncapped."""
        self.selection(task)
        selected = self._drawn[task.name]
        pooled = {s: [] for s in SPLITS} | {"test": [item for s in splits for item in selected[s]]}
        return self._build(task, pooled)["test"]

    def _build(self, task: Task, selected: dict[str, list]) -> dict[str, TaskData]:
        progress = self.cfg.progress and self.env.is_main
        if self._caches_images:  # spectrograms computed once (by rank 0) and loaded as tensors afterwards
            from .data.cache import cached_task_data

            with distributed.main_first(self.env):
                return cached_task_data(task, self.corpus, self.profile.image_size, self.cfg.seed,
                                        cache_dir=self.output / "cache", corpus_fingerprint=self.fingerprint,
                                        selected=selected, progress=progress)
        return build_task_data(task, self.corpus, self.profile.image_size, self.cfg.seed, progress=progress,
                               selected=selected)

    @property
    def _caches_images(self) -> bool:
        return self.profile.name == "paper" or self.device.startswith("cuda") or self.env.active

    def model(self, task: Task, *, train: bool = True) -> tuple[torch.nn.Module, dict[str, Any]]:
        """The task's trained model and its metadata: loaded from its checkpoint, or trained
        (``train=False``: a missing checkpoint is an error saying which command recreates it)."""
        return train_or_load(task, lambda: self.data(task), self.profile, corpus_fingerprint=self.fingerprint,
                             seed=self.cfg.seed, device=self.device, checkpoint_dir=self.output / "checkpoints",
                             retrain=self.cfg.retrain and train, weights=self.cfg.weights,
                             progress=self.cfg.progress and self.env.is_main, train=train,
                             recreate_hint=self.cfg.command())

    def with_corpus(self, spec: str, seed: int) -> "Experiment":
        """The same run on another corpus (same split seed, profile and models' config)."""
        return replace(self, corpus_spec=(spec, seed), _selections={}, _drawn={}, train_caps={}, _last_data=None)
