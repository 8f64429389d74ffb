"""The metric contract and its registry.

A metric scores a batch of attributions, one value per sample (NaN where undefined, e.g. a
map with no positive mass: counted and reported, never 0). Its stable ``id`` encodes its
parameters, and ``version`` changes whenever its definition does, so a number in a paper points
to one definition (docs/metrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import torch

from ..data.spectrogram import FrequencyAxis
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
    native_grid: tuple[int, int] | None = None  # rows x columns the maps were made on (None: the image grid)


class Metric:
    """Base class. Subclasses set the class attributes and implement ``score``."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    family: ClassVar[str] = "other"  # linguistic, localisation, faithfulness, randomisation, robustness, complexity
    higher_is_better: ClassVar[bool] = True
    task_kinds: ClassVar[tuple[str, ...]] = ("vowel", "voicing")
    description: ClassVar[str] = ""
    # "score": a column of the boards; "sanity": a check whose mean is read against ``sanity_threshold``
    # (pass on the better side of it for the metric's direction) and shown as a pass/fail flag per method
    role: ClassVar[str] = "score"
    sanity_threshold: ClassVar[float | None] = None

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
    from . import (  # noqa: F401  (each registers itself)  # noqa: F401  (Quantus families, opt-in)
        complexity,
        f0_harmonics,
        faithfulness,
        faithfulness_correlation,
        linguistic,
        randomisation,
        road,
        robustness,
        shortcut,
    )


METRICS.set_builtins_loader(_load_builtins)
