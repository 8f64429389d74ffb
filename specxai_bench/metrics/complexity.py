"""Complexity: how concentrated a map is, whatever it points at.

Sparseness (Chalasani et al. 2020; Quantus' Sparseness): the Gini index of |A| over all pixels,
G = sum_i (2i - n - 1) a_(i) / (n sum_i a_(i)) with a_(1) <= ... <= a_(n) sorted. 0 for a uniform
map, (n - 1) / n when one pixel holds everything; higher is better (sparser, easier to read).
NaN where |A| sums to 0. Quantus adds 1e-7 to every pixel first; we do not (see docs/metrics.md).
"""

from __future__ import annotations

import numpy as np

from .base import METRICS, Metric, ScoringBatch


def gini(values: np.ndarray) -> np.ndarray:
    """Gini index of each row of non-negative ``values`` [B, N]; NaN where a row sums to 0."""
    n = values.shape[1]
    s = np.sort(values, axis=1)  # in the input's dtype (float32 sorts faster); sums below in float64
    total = s.sum(1, dtype=np.float64)
    num = s @ (2.0 * np.arange(1, n + 1) - n - 1)
    ok = total > 0
    return np.where(ok, num / np.where(ok, n * total, 1.0), np.nan)


@METRICS.register()
class Sparseness(Metric):
    name = "sparseness"
    family = "complexity"
    description = "Gini index of |attribution| over the pixels (0 = uniform, ~1 = one pixel)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        a = batch.attributions.detach().cpu().numpy()
        return gini(np.abs(a.reshape(a.shape[0], -1)))
