"""The metric contract and its registry.

A metric scores a batch of attributions, one value per sample (NaN where undefined, e.g. a
map with no positive mass: counted and reported, never 0). A metric that can return NaN says
what it means in ``nan_means``; without it a NaN is recorded as the metric's error, and inf
always is. Its stable ``id`` encodes its parameters, and ``version`` changes whenever its
definition does, so a number in a paper points to one definition (docs/metrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import torch

from ..data.spectrogram import FrequencyAxis
from ..data.tasks import TASK_KINDS
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


class Metric:
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

    def score(self, batch: ScoringBatch) -> np.ndarray:
        """One float per sample, [B]."""
        raise NotImplementedError


METRICS: Registry[Metric] = Registry("metric", Metric, "specxai_bench.metrics")


def _load_builtins() -> None:
    # each module registers its metrics on import; one that fails to import is reported and skipped
    METRICS.import_modules(__package__, ("complexity", "f0_harmonics", "faithfulness", "faithfulness_correlation",
                                         "ground_truth", "linguistic", "randomisation", "road", "robustness", "shortcut"))


METRICS.set_builtins_loader(_load_builtins)
