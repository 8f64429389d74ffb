"""Complexity: how concentrated a map is, whatever it points at.

Sparseness (Chalasani et al. 2020; Quantus' Sparseness): the Gini index of |A| over all pixels,
G = sum_i (2i - n - 1) a_(i) / (n sum_i a_(i)) with a_(1) <= ... <= a_(n) sorted. 0 for a uniform
map, (n - 1) / n when one pixel holds everything; higher is better (sparser, easier to read).
NaN where |A| sums to 0. Quantus adds 1e-7 to every pixel first; we do not (see docs/metrics.md).

Complexity (Bhatt et al. 2020; Quantus' Complexity), registered as ``complexity_entropy``: the
entropy of the shares |A_i| / sum |A|, from 0 (one pixel) to ln n (uniform); lower is better.
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
    nan_means = "|A| sums to 0 (an all-zero map)"
    family = "complexity"
    description = "Gini index of |attribution| over the pixels (0 = uniform, ~1 = one pixel)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        a = batch.attributions.detach().cpu().numpy()
        return gini(np.abs(a.reshape(a.shape[0], -1)))


@METRICS.register()
class ComplexityEntropy(Metric):
    """Bhatt et al. 2020 (Quantus' Complexity): the entropy of the share of |A| held by each pixel,
    H = -sum_i p_i ln p_i with p = |A| / sum |A| (0 ln 0 = 0). 0 when one pixel holds everything,
    ln(n) for a uniform map; lower is better. NaN where |A| sums to 0. Quantus adds 1e-12 inside
    the log (a difference below n * 1e-12)."""

    name = "complexity_entropy"
    nan_means = "|A| sums to 0 (an all-zero map)"
    family = "complexity"
    higher_is_better = False
    description = "entropy of |attribution| shares over the pixels (0 = one pixel, ln n = uniform)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        a = np.abs(batch.attributions.detach().cpu().numpy().reshape(len(batch.attributions), -1)).astype(np.float64)
        total = a.sum(1, keepdims=True)
        ok = total[:, 0] > 0
        p = a / np.where(total > 0, total, 1.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        return np.where(ok, -plogp.sum(1), np.nan)
