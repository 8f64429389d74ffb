"""Linguistic-prior metrics: how much positive attribution lands where phonetics says it should.

Definitions (docs/metrics.md is the citable version). A+ = max(A, 0); f(i) is row i's centre.
- formant-band mass FBM = sum(A+ * M) / sum(A+), M[i, t] = 1 iff |f(i) - F_k(t)| <= w_k(t) for some
  k in the chosen formants, w_k = max(100 Hz, 0.1 F_k). Formant-band lift = FBM / mean(M): 1 is
  chance, comparable across methods and tasks.
- F0-band mass = share of A+ in rows below 700 Hz; its lift divides by that band's share of rows.
A sample whose A+ sums to 0 gives NaN. Vectorised over the batch (no per-sample loops): these are
localisation metrics with a linguistic mask, the same sums as Quantus' RelevanceMassAccuracy.
"""

from __future__ import annotations

import numpy as np

from .base import METRICS, Metric, ScoringBatch
from .masks import band_rows, formant_mask


def positive_mass_share(attributions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sum(A+ * mask) / sum(A+) per sample; NaN where A+ sums to 0. ``mask`` broadcasts to A."""
    pos = np.clip(attributions, 0.0, None).astype(np.float64)
    total = pos.sum((1, 2))
    inside = (pos * mask).sum((1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inside / np.where(total > 0, total, 1.0), np.nan)


class _FormantMetric(Metric):
    family = "linguistic"
    task_kinds = ("vowel",)

    def __init__(self, *, formants: tuple[int, ...] = (1, 2, 3), min_hz: float = 100.0, rel: float = 0.1) -> None:
        if not formants or any(k not in (1, 2, 3) for k in formants):
            raise ValueError(f"formants must be drawn from 1, 2, 3; got {formants}")
        self.formants, self.min_hz, self.rel = tuple(sorted(formants)), min_hz, rel

    def params(self) -> str:
        ks = "".join(map(str, self.formants))
        return f"F{ks},w{self.min_hz:g}hz,{self.rel * 100:g}pct"

    def mask(self, batch: ScoringBatch) -> np.ndarray:
        return formant_mask(batch.formants, batch.axis, self.formants, self.min_hz, self.rel)


@METRICS.register()
class FormantBandMass(_FormantMetric):
    name = "formant_band_mass"
    description = "share of positive attribution within the formant bands (F1-F3 by default)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        return positive_mass_share(batch.attributions.cpu().numpy(), self.mask(batch))


@METRICS.register()
class FormantBandLift(_FormantMetric):
    name = "formant_band_lift"
    description = "formant-band mass / the mask's share of the image (1 = chance)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        mask = self.mask(batch)
        share = mask.mean((1, 2))
        mass = positive_mass_share(batch.attributions.cpu().numpy(), mask)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(share > 0, mass / np.where(share > 0, share, 1.0), np.nan)


class _F0Metric(Metric):
    family = "linguistic"
    task_kinds = ("voicing",)

    def __init__(self, *, cutoff_hz: float = 700.0) -> None:
        if cutoff_hz <= 0:
            raise ValueError(f"cutoff_hz must be positive, got {cutoff_hz}")
        self.cutoff_hz = cutoff_hz

    def params(self) -> str:
        return f"below{self.cutoff_hz:g}hz"

    def rows(self, batch: ScoringBatch) -> np.ndarray:
        return band_rows(batch.axis, batch.axis.fmin, self.cutoff_hz)[None, :, None]


@METRICS.register()
class F0BandMass(_F0Metric):
    name = "f0_band_mass"
    description = "share of positive attribution below 700 Hz (F0 and its first harmonics)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        return positive_mass_share(batch.attributions.cpu().numpy(), self.rows(batch))


@METRICS.register()
class F0BandLift(_F0Metric):
    name = "f0_band_lift"
    description = "F0-band mass / the band's share of the rows (1 = chance)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        rows = self.rows(batch)
        return positive_mass_share(batch.attributions.cpu().numpy(), rows) / rows.mean()
