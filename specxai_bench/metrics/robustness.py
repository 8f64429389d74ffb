"""Max-sensitivity (Yeh et al. 2019; Quantus' MaxSensitivity): how much a map changes when the input
is nudged by noise the model should not care about. Re-explains perturbed inputs with the method.

N noise images u_1..u_N ~ U[-radius, radius]^(H x W) are drawn from ``seed`` alone
(``numpy.random.RandomState(seed).uniform``, one [1, H*W] draw per step: Quantus' draw for one
sample) and shared by every sample and method. The images are spectrograms in [0, 1] where 1 is
``top_db`` (80 dB by default), so the default radius 0.025 is +-2 dB per pixel: well below the
20-40 dB between formant peaks and valleys. The method re-attributes each x + u_j for the same
target; score = max_j ||A(x + u_j) - A(x)||_F / ||A(x)||_F. Range [0, inf), lower is better.
NaN where ||A(x)|| = 0 (all-zero map) or a re-explained map is not finite. Equal to Quantus'
MaxSensitivity(normalise=False, abs=False, lower_bound=radius) called one sample at a time after
``np.random.seed(seed)`` (tests/metrics/test_quantus_models.py).
"""

from __future__ import annotations

import numpy as np
import torch

from ..methods.base import AttributionError
from .base import METRICS, Metric, ScoringBatch


@METRICS.register()
class MaxSensitivity(Metric):
    name = "max_sensitivity"
    nan_means = "the map is all zero, or a re-explained map is not finite"
    family = "robustness"
    higher_is_better = False
    description = "largest relative change of the map under small uniform input noise (re-explains)"

    def __init__(self, *, nr_samples: int = 8, radius: float = 0.025, seed: int = 0) -> None:
        if nr_samples < 1 or not radius > 0:
            raise ValueError(f"nr_samples must be >= 1 and radius > 0; got {nr_samples}, {radius}")
        self.nr_samples, self.radius, self.seed = nr_samples, radius, seed

    def params(self) -> str:
        return f"N{self.nr_samples},r{self.radius:g},seed{self.seed}"

    def noise(self, shape: tuple[int, int]) -> np.ndarray:
        """[N, H, W] float64, from the seed alone."""
        rs = np.random.RandomState(self.seed)
        return np.stack([rs.uniform(-self.radius, self.radius, (1, shape[0] * shape[1])).reshape(shape)
                         for _ in range(self.nr_samples)])

    def score(self, batch: ScoringBatch) -> np.ndarray:
        if batch.model is None or batch.method is None:
            raise ValueError(f"{self.name} needs the model and the method in the batch")
        images, targets = batch.images, batch.targets.to(batch.images.device)
        a = batch.attributions.detach().flatten(1).cpu().double()
        norm = a.norm(dim=1)
        x = images.detach().cpu().double()
        worst = torch.zeros(len(a), dtype=torch.float64)
        for u in torch.from_numpy(self.noise(tuple(images.shape[-2:]))):
            nudged = (x + u).to(images.dtype).to(images.device)  # float32(x + u), as Quantus
            try:
                again = batch.method.attribute(nudged, targets)
            except Exception as exc:
                raise AttributionError(f"{self.name}: method {getattr(batch.method, 'name', batch.method)!r} "
                                       f"failed on a perturbed input: {type(exc).__name__}: {exc}") from exc
            diff = (again.detach().flatten(1).cpu().double() - a).norm(dim=1)
            worst = torch.maximum(worst, diff)  # NaN propagates: a non-finite re-explanation gives NaN
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(norm.numpy() > 0, worst.numpy() / np.where(norm.numpy() > 0, norm.numpy(), 1.0), np.nan)
