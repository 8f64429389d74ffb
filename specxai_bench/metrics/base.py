"""The metric contract and its registry.

A metric scores a batch of attributions, one value per sample (NaN where undefined, e.g. a
map with no positive mass: counted and reported, never 0). A metric that can return NaN says
what it means in ``nan_means``; without it a NaN is recorded as the metric's error, and inf
always is. Its stable ``id`` encodes its parameters, and ``version`` changes whenever its
definition does, so a number in a paper points to one definition (docs/metrics.md). A metric is
also callable the way Quantus metrics are, with keyword batches in torch or numpy
(:meth:`Metric.__call__`, docs/api.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch

from ..data.spectrogram import FrequencyAxis
from ..data.tasks import TASK_KINDS
from ..errors import ConfigError
from ..registry import Registry

if TYPE_CHECKING:
    from ..methods.base import AttributionMethod


@dataclass(frozen=True)
class ScoringBatch:
    """What a metric may look at: the maps, the images, and each sample's phonetic tracks."""

    attributions: torch.Tensor  # [B, H, W] float
    images: torch.Tensor  # [B, 1, H, W]
    targets: torch.Tensor  # [B] class attributed
    f0: np.ndarray  # [B, W] Hz, NaN where unvoiced
    formants: np.ndarray  # [B, W, 3] Hz, NaN where undefined
    axis: FrequencyAxis
    model: torch.nn.Module | None = None
    method: "AttributionMethod | None" = None  # the method that made the maps (for sanity checks)
    bands: np.ndarray | None = None  # shortcut task: [B, 2] (centre, width) Hz of each sample's planted band
    # shortcut tasks: [B, 2, 4] the cue's and the decoy's box (t0 s, t1 s, low Hz, high Hz), decoy NaN where none
    boxes: np.ndarray | None = None
    durations: np.ndarray | None = None  # [B] seconds: each segment's duration (its image is stretched to W)
    native_grid: tuple[int, int] | None = None  # rows x columns the maps were made on (None: the image grid)


class Metric(ABC):
    """Base class. Subclasses set the class attributes and implement ``score``."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    family: ClassVar[str] = "other"  # linguistic, localisation, faithfulness, randomisation, robustness, complexity
    higher_is_better: ClassVar[bool] = True
    # the task kinds whose ground truth or prior the metric needs; a metric that reads only the maps and
    # the model (faithfulness, randomisation, robustness, complexity) applies to every task
    task_kinds: ClassVar[tuple[str, ...]] = TASK_KINDS
    description: ClassVar[str] = ""
    # "score": a column of the boards; "sanity": a check whose mean is read against ``sanity_threshold``
    # (pass on the better side of it for the metric's direction) and shown as a pass/fail flag per method
    role: ClassVar[str] = "score"
    sanity_threshold: ClassVar[float | None] = None
    # when a NaN score is a documented outcome, what it means (e.g. "the map has no positive mass"):
    # stored as a NaN value and counted in the tables. Empty: a NaN is recorded as the metric's error.
    nan_means: ClassVar[str] = ""

    def params(self) -> str:
        """The parameters as they appear in the id (``""`` when there are none)."""
        return ""

    @property
    def id(self) -> str:
        p = self.params()
        return f"{self.name}@{p}" if p else self.name

    def applies_to(self, task_kind: str) -> bool:
        return task_kind in self.task_kinds

    @abstractmethod
    def score(self, batch: ScoringBatch) -> np.ndarray:
        """One float per sample, [B]."""

    def __call__(self, *, x_batch: Any, y_batch: Any, a_batch: Any = None, model: torch.nn.Module | None = None,
                 axis: FrequencyAxis | None = None, f0: Any = None, formants: Any = None, bands: Any = None,
                 method: "str | AttributionMethod | None" = None, device: str | None = None) -> np.ndarray:
        """Score batches given as keywords, torch or numpy, as Quantus metrics are called; [B] float64.

        ``x_batch`` images [B, C, H, W] (or [B, H, W]) as the model takes them; ``y_batch`` the
        attributed classes [B]; ``a_batch`` maps [B, H, W] (or [B, C, H, W], channels summed), or
        None to compute them with ``method`` (a spec such as ``"gradcam@layer=layer3"`` or a method
        object). ``axis`` is the images' FrequencyAxis; ``f0`` [B, W] and ``formants`` [B, W, 3] are
        Hz tracks on the image's columns (NaN where undefined); ``bands`` [B, 2] the shortcut task's
        planted bands. A metric that needs a keyword that was not given says which.
        """
        if device is None and model is not None:
            device = str(next(model.parameters()).device)
        x = _tensor(x_batch, "x_batch", torch.float32, device)
        x = x[:, None] if x.ndim == 3 else x
        y = _tensor(y_batch, "y_batch", torch.long, device).reshape(-1)
        if x.ndim != 4 or y.shape[0] != x.shape[0]:
            raise ConfigError(f"{self.name}: x_batch must be [B, C, H, W] with one y_batch entry per image; got "
                              f"{tuple(x.shape)} and {tuple(y.shape)}")
        if isinstance(method, str):
            from ..methods import METHODS

            if model is None:
                raise ConfigError(f"{self.name}: method={method!r} needs the model= it attributes")
            method = METHODS.create(method, model)
        if a_batch is None:
            if method is None:
                raise ConfigError(f"{self.name}: give a_batch= (the maps) or method= to compute them")
            a = method.attribute(x, y)
        else:
            a = _tensor(a_batch, "a_batch", torch.float32, device)
            a = a.sum(1) if a.ndim == 4 else a
        if a.shape != (x.shape[0], *x.shape[-2:]):
            raise ConfigError(f"{self.name}: a_batch must be [B, H, W] on the images' grid {tuple(x.shape[-2:])}, "
                              f"got {tuple(a.shape)}")
        batch = ScoringBatch(
            attributions=a, images=x, targets=y,
            f0=_missing("f0", self.name) if f0 is None else _array(f0, "f0", (x.shape[0], x.shape[-1])),
            formants=(_missing("formants", self.name) if formants is None
                      else _array(formants, "formants", (x.shape[0], x.shape[-1], 3))),
            axis=_missing("axis", self.name) if axis is None else axis,
            model=model, method=method, bands=None if bands is None else np.asarray(bands, np.float64))
        return np.asarray(self.score(batch), dtype=np.float64)


_NEEDS = {"axis": "axis= (the images' FrequencyAxis, e.g. from specxai_bench.spectrogram)",
          "f0": "f0= ([B, W] Hz on the image's columns, e.g. from specxai_bench.tracks)",
          "formants": "formants= ([B, W, 3] Hz on the image's columns, e.g. from specxai_bench.tracks)"}


class _Missing:
    """Stands in for a keyword that was not given: any use raises, naming the metric and the keyword."""

    def __init__(self, key: str, metric: str) -> None:
        self._message = f"metric {metric} needs {_NEEDS[key]}"

    def _fail(self, *args: object, **kwargs: object) -> Any:
        raise ConfigError(self._message)

    __getattr__ = __getitem__ = __array__ = __len__ = __iter__ = _fail


def _missing(key: str, metric: str) -> Any:
    return _Missing(key, metric)


def _tensor(value: Any, name: str, dtype: torch.dtype, device: str | None) -> torch.Tensor:
    try:
        t = (value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))).to(dtype)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"{name} must be a torch tensor or numpy array of numbers ({exc})") from None
    return t if device is None else t.to(device)


def _array(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    a = np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value, dtype=np.float64)
    if a.shape != shape:
        raise ConfigError(f"{name} must have shape {shape} (one value per image column), got {a.shape}")
    return a


METRICS: Registry[Metric] = Registry("metric", Metric, "specxai_bench.metrics")


def _load_builtins() -> None:
    # each module registers its metrics on import; one that fails to import is reported and skipped
    METRICS.import_modules(__package__, ("complexity", "f0_harmonics", "faithfulness", "faithfulness_correlation",
                                         "ground_truth", "linguistic", "randomisation", "road", "robustness", "shortcut"))


METRICS.set_builtins_loader(_load_builtins)
