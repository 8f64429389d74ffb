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
from .data.splits import SPLITS, SplitPlan, plan_splits, select_segments
from .data.tasks import Task, resolve_tasks
from .defaults import READING_BASELINES
from .errors import ConfigError
from .model.profiles import SIZE_OVERRIDES, Profile, resolve_device, resolve_profile
from .model.training import train_or_load
from .runtime import distributed
from .runtime.progress import status
from .seeds import check_seed

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
    # the model's initial weights, data order and augmentation; None = --seed. The corpus, the split and
    # the sample draw stay on --seed, so N training seeds give N models on identical data (study seeds)
    train_seed: int | None = None
    output: Path = Path("specxai-output")
    retrain: bool = False
    target: str = "true"
    batch_size: int = 16
    max_samples: int = 0  # per class of each task's test split; 0 = all (for expensive methods)
    weights: Path | None = None  # initial backbone weights (e.g. ImageNet), or with `classes` a finished model
    classes: tuple[str, ...] | None = None  # the finished model's outputs, in order (--weights is then the model)
    call_timeout: float = 600.0  # seconds per method or metric call on one batch; 0 = no limit
    phn_rate: int | None = None  # the rate .PHN sample offsets count, when not the wav's (aligned corpora)
    progress: bool = True
    # reduced-size runs (studies on two cores): override the profile's epochs, image size, corpus size
    epochs: int | None = None
    image_size: int | None = None
    speakers_per_group: int | None = None
    # real corpora: who spoke what, label folding, the highest sample rate kept, how the corpus is split
    speaker_from: str = "parent"
    label_folding: str = "none"
    sample_rate: int | None = None
    folds: int = 0  # 0 = auto (speaker k-fold for a real corpus of fewer than 10 speakers), 1 = one split
    split_by: str = "speaker"
    max_train_per_class: int | None = None  # training segments per class (round-robin over speakers); 0 = all

    # fields added after run ids were first published: part of a run's id only when set (old ids stay)
    ID_WHEN_SET = ("classes", "speaker_from", "label_folding", "sample_rate", "folds", "split_by", "phn_rate")

    # where and how a run works, not what it computes: left out of its id and of its command
    NOT_IN_COMMAND = ("output", "progress", "retrain")

    def __post_init__(self) -> None:
        # a name given twice is asked for once (`--tasks vowel5,vowel5` ran and printed twice)
        for key in ("methods", "metrics", "tasks"):
            object.__setattr__(self, key, tuple(dict.fromkeys(getattr(self, key))))
        if isinstance(self.output, str) and not self.output.strip():
            raise ConfigError("--output is empty (it would write into the current folder): give a folder")

    def command(self) -> str:
        """The `specxai-bench run` command line that computes this run again (non-default options only).

        Derived from the fields, so it cannot drift from the config; ``--output`` is left out (it
        says where, not what), so the command reproduces the rows wherever it is run. `run` adds the
        reading baselines to the methods unless told ``--baselines none``; a config without them says so.
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
        if not set(READING_BASELINES) <= set(self.methods):
            parts.append("--baselines none")
        return " ".join(parts)

    def identity(self) -> dict[str, Any]:
        """The fields that decide what is computed (the run id hashes these)."""
        skip = set(self.NOT_IN_COMMAND) | {"call_timeout"}
        if self.train_seed in (None, self.seed):  # the default: run ids made before --train-seed stay the same
            skip.add("train_seed")
        defaults = {f.name: f.default for f in fields(self)}
        return {k: v for k, v in asdict(self).items()
                if k not in skip and not (k in SIZE_OVERRIDES and v is None)
                and not (k in self.ID_WHEN_SET and v == defaults[k])}

    @property
    def model_seed(self) -> int:
        """The seed of the model's initial weights, data order and augmentation (--train-seed, else --seed)."""
        return self.seed if self.train_seed is None else self.train_seed

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

    check_seed(cfg.seed)  # before any work: a bad seed failed deep inside numpy after the store was made
    if cfg.train_seed is not None:
        check_seed(cfg.train_seed, "--train-seed")
    methods = METHODS.resolve(cfg.methods)
    metrics = METRICS.resolve(cfg.metrics)
    tasks = resolve_tasks(",".join(cfg.tasks))
    device = resolve_device(cfg.device)
    # a harder synthetic corpus trains longer (for_corpus); the size overrides, --epochs among them, then say
    # exactly how long and are checked against their minimums there (profiles.SIZE_OVERRIDES)
    profile = resolve_profile(cfg.profile, device).for_corpus(cfg.corpus).with_overrides(
        arch=cfg.arch, epochs=cfg.epochs, image_size=cfg.image_size, speakers_per_group=cfg.speakers_per_group,
        max_train_per_class=cfg.max_train_per_class)
    if cfg.speakers_per_group is not None and cfg.corpus.partition(":")[0] != "synthetic":
        raise ConfigError(f"--speakers-per-group sizes the synthetic corpus; --corpus {cfg.corpus} has its own "
                          "speakers")
    if cfg.phn_rate is not None and (cfg.corpus.partition(":")[0] != "aligned" or cfg.phn_rate < 4000):
        raise ConfigError(f"--phn-rate {cfg.phn_rate}: give the sample rate in Hz (>= 4000) that the .PHN offsets of "
                          f"an aligned corpus count (--corpus aligned:PATH); --corpus is {cfg.corpus}")
    if cfg.max_samples < 0:
        raise ConfigError(f"--max-samples must be >= 0 (0 = all), got {cfg.max_samples}")
    if cfg.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {cfg.batch_size}")
    if not (cfg.call_timeout >= 0 and np.isfinite(cfg.call_timeout)):
        raise ConfigError(f"--call-timeout must be seconds >= 0 (0 = no limit), got {cfg.call_timeout}")
    if cfg.target not in TARGETS:
        raise ConfigError(f"--target must be one of {', '.join(TARGETS)}, got {cfg.target!r}")
    _check_corpus_options(cfg)
    if cfg.classes is not None:  # a finished model: it must fit the architecture, the classes and every task
        from .model.checkpoints import load_finished_model

        if cfg.weights is None:
            raise ConfigError("--classes names the outputs of a finished model: give the model with --weights")
        load_finished_model(cfg.weights, profile.arch, cfg.classes, cfg.classes)  # architecture and outputs fit
        wrong = [t.name for t in tasks if sorted(t.classes) != sorted(cfg.classes)]
        if wrong:
            fits = [t for t in resolve_tasks("all") if sorted(t.classes) == sorted(cfg.classes)]
            raise ConfigError(f"--classes {','.join(cfg.classes)} are not the classes of task(s) {', '.join(wrong)}; "
                              + (f"pass --tasks {','.join(t.name for t in fits)}" if fits else
                                 "no task has these classes"))
    elif cfg.weights is not None:  # a weights file that is missing or does not fit fails before any work
        from .model.checkpoints import load_backbone_weights
        from .model.classifier import SpectrogramClassifier

        load_backbone_weights(SpectrogramClassifier(profile.arch, 2), cfg.weights)
    probe = _probe(profile.arch)  # options that need a model (layers) are checked on it
    made = [METHODS.create(spec, probe) for spec in methods]
    if any("auto" in spec for spec in metrics):  # grid=auto: the coarsest native grid of the run's methods
        from .metrics.lift import fill_auto_grids

        metrics = fill_auto_grids(metrics, [m.native_resolution(profile.image_size) for m in made], profile.image_size)
    for spec in metrics:
        METRICS.create(spec)
    return Plan(methods, metrics, tasks, profile, device)


def _check_corpus_options(cfg: RunConfig) -> None:
    """The real-corpus options, checked before any work (each error names its option)."""
    from .data.corpora.labels import check_folding
    from .data.corpora.speakers import check_speaker_from
    from .data.splits import SPLIT_BY

    check_speaker_from(cfg.speaker_from)
    check_folding(cfg.label_folding)
    if cfg.split_by not in SPLIT_BY:
        raise ConfigError(f"--split-by must be one of {', '.join(SPLIT_BY)}, got {cfg.split_by!r}")
    if cfg.folds < 0 or cfg.folds == 2:
        raise ConfigError(f"--folds must be 0 (auto), 1 (one split) or at least 3, got {cfg.folds}")
    if cfg.sample_rate is not None and cfg.sample_rate < 1000:
        raise ConfigError(f"--sample-rate must be at least 1000 Hz, got {cfg.sample_rate}")


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
    _selections: dict[tuple[str, int], dict[str, list]] = field(default_factory=dict, repr=False)
    _drawn: dict[tuple[str, int], dict[str, list]] = field(default_factory=dict, repr=False)  # before the cap
    train_caps: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)  # task -> what the cap did
    _last_data: tuple[tuple, dict[str, TaskData]] | None = field(default=None, repr=False)

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
                               progress=self.cfg.progress and self.env.is_main,  # Praat: the shared cache
                               phn_rate=self.cfg.phn_rate, sample_rate=self.cfg.sample_rate,
                               folding=self.cfg.label_folding, speaker_from=self.cfg.speaker_from)

    @cached_property
    def fingerprint(self) -> str:
        return self.corpus.fingerprint()

    @cached_property
    def split_plan(self) -> SplitPlan:
        """How the corpus is split: one split or speaker folds (:func:`.data.splits.plan_splits`)."""
        spec = (self.corpus_spec or (self.cfg.corpus,))[0]
        return plan_splits(self.corpus, self.cfg.seed, folds=self.cfg.folds, split_by=self.cfg.split_by,
                           synthetic=spec.partition(":")[0] == "synthetic",
                           everything="test" if self.cfg.classes is not None else None)

    def selection(self, task: Task, fold: int = 0) -> dict[str, list]:
        """Split -> [(segment, class)] of ``fold``, drawn once per task and fold (checks classes and
        speakers); the training split capped at the profile's ``max_train_per_class``
        (data/capping.py), said when it binds."""
        key = (task.name, fold)
        if key not in self._selections:
            selected = select_segments(task, self.corpus, self.cfg.seed, self.split_plan, fold)
            cap = self.profile.max_train_per_class
            capped = cap_per_class(selected["train"], cap, self.cfg.seed)
            summary = cap_summary(selected["train"], capped, cap)
            if summary is not None:
                first = task.name not in self.train_caps
                self.train_caps[task.name] = summary
                if self.env.is_main and first:
                    status(f"[{task.name}] training set capped at {cap} segments per class, drawn round-robin over "
                           f"{summary['speakers']} speakers: {summary['kept']} of {summary['available']} "
                           "(--max-train-per-class 0 trains on all)")
            self._drawn[key] = selected
            self._selections[key] = {**selected, "train": capped}
        return self._selections[key]

    def data(self, task: Task, splits: tuple[str, ...] = SPLITS, fold: int = 0) -> dict[str, TaskData]:
        """The images and tracks of ``splits`` of ``fold`` (the other splits come back empty).

        The last answer is kept: `run` asks for a task's data and then, when the model must be
        trained, asks again for the same images, which would otherwise be computed twice."""
        key = (task.name, tuple(splits), fold)
        if self._last_data is None or self._last_data[0] != key:
            selected = self.selection(task, fold)
            self._last_data = (key, self._build(task, {s: (selected[s] if s in splits else []) for s in SPLITS}))
        return self._last_data[1]

    def eval_data(self, task: Task, splits: tuple[str, ...], fold: int = 0) -> TaskData:
        """The samples of ``splits`` pooled into one TaskData (e.g. every speaker of a corpus that only
        evaluates models trained on another): the training split uncapped."""
        self.selection(task, fold)
        selected = self._drawn[(task.name, fold)]
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

    def model(self, task: Task, *, train: bool = True, fold: int = 0) -> tuple[torch.nn.Module, dict[str, Any]]:
        """The task's model of ``fold`` and its metadata: loaded from its checkpoint, or trained
        (``train=False``: a missing checkpoint is an error saying which command recreates it); with
        ``classes``, the finished model of ``weights``, evaluated on every speaker."""
        if self.cfg.classes is not None:
            return self._finished_model(task)
        return train_or_load(task, lambda: self.data(task, fold=fold), self.profile,
                             corpus_fingerprint=self.fingerprint, seed=self.cfg.seed, train_seed=self.cfg.model_seed,
                             device=self.device,
                             checkpoint_dir=self.output / "checkpoints", retrain=self.cfg.retrain and train,
                             weights=self.cfg.weights, progress=self.cfg.progress and self.env.is_main, train=train,
                             recreate_hint=self.cfg.command(), split=self.split_plan.split_id(fold))

    def _finished_model(self, task: Task) -> tuple[torch.nn.Module, dict[str, Any]]:
        from .model.checkpoints import finished_model_meta, load_finished_model
        from .model.predict import accuracy

        assert self.cfg.weights is not None and self.cfg.classes is not None
        model = load_finished_model(self.cfg.weights, self.profile.arch, self.cfg.classes, task.classes)
        test = self.data(task, ("test",))["test"]
        meta = finished_model_meta(self.cfg.weights, self.profile.arch, self.cfg.classes, task.name,
                                   self.profile.image_size)
        acc = accuracy(model.to(self.device), test, self.device, self.profile.eval_batch_size)
        return model, meta | {"test_accuracy": acc, "n_test": len(test), "profile": self.profile.name,
                              "device": self.device}

    def with_train_seed(self, seed: int) -> "Experiment":
        """The same corpus, splits and images, with the models of training seed ``seed`` (study seeds)."""
        other = replace(self, cfg=replace(self.cfg, train_seed=seed))
        for key in ("corpus", "fingerprint"):  # built once, shared: the data do not depend on the training seed
            if key in self.__dict__:
                other.__dict__[key] = self.__dict__[key]
        return other

    def with_corpus(self, spec: str, seed: int) -> "Experiment":
        """The same run on another corpus (same split seed, profile and models' config)."""
        return replace(self, corpus_spec=(spec, seed), _selections={}, _drawn={}, train_caps={}, _last_data=None)
