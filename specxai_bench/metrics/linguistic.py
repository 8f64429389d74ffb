"""Linguistic-prior metrics: how much positive attribution lands where phonetics says it should.

Definitions (docs/metrics.md is the citable version). A+ = max(A, 0); f(i) is row i's centre.
- formant-band mass FBM = sum(A+ * M) / sum(A+), M[i, t] = 1 iff |f(i) - F_k(t)| <= w_k(t) for some
  k in the chosen formants, w_k = max(100 Hz, 0.1 F_k). Formant-band lift = FBM / mean(M): 1 is
  chance. ``@formants=1`` (alias ``_f1``) and so on use one formant.
- formant pointing game: 1 if a maximum of A lies in M, else 0 (Quantus' PointingGame).
- F0-band mass = share of A+ in rows below 700 Hz; its lift divides by that band's share of rows.
- high-band share = share of A+ in rows above 4 kHz (full-band vowel task; NaN on a 0-4 kHz axis).
NaN, never 0, where a sample's A+ sums to 0 (pointing game: where A is constant or <= 0) or its
mask is empty. Vectorised over the batch (no per-sample loops): these are localisation metrics
with a linguistic mask, the same sums as Quantus' RelevanceMassAccuracy / PointingGame.
"""

from __future__ import annotations

import numpy as np

from .base import METRICS, Metric, ScoringBatch
from .masks import band_rows, formant_mask


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den <= 0 (no warnings)."""
    ok = den > 0
    return np.where(ok, num / np.where(ok, den, 1.0), np.nan)


def positive_mass_share(attributions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sum(A+ * mask) / sum(A+) per sample; NaN where A+ sums to 0. ``mask`` broadcasts to A.

    float32 products summed per row, rows summed in float64: ~1e-9 from an all-float64 sum, 5x faster.
    """
    pos = np.maximum(attributions, 0)
    total = pos.sum(2).sum(1, dtype=np.float64)
    inside = np.multiply(pos, mask, out=pos).sum(2).sum(1, dtype=np.float64)  # in place: one buffer
    return _ratio(inside, total)


def pointing_hit(attributions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """1.0 if a maximum of A (any of tied maxima) lies in ``mask``, else 0.0; NaN where A is
    constant or nowhere positive (no point to point at) or the mask is empty."""
    b = attributions.shape[0]
    flat, m = attributions.reshape(b, -1), np.broadcast_to(mask, attributions.shape).reshape(b, -1)
    top = flat.max(1)
    hit = ((flat == top[:, None]) & m).any(1).astype(np.float64)
    return np.where((top > 0) & (top > flat.min(1)) & m.any(1), hit, np.nan)


class _FormantMetric(Metric):
    family = "linguistic"
    nan_means = "A+ sums to 0 (pointing game: A is constant or <= 0), or the formant mask is empty"
    task_kinds = ("vowel",)

    def __init__(self, *, formants: tuple[int, ...] = (1, 2, 3), min_hz: float = 100.0, rel: float = 0.1) -> None:
        if not formants or any(k not in (1, 2, 3) for k in formants):
            raise ValueError(f"formants must be drawn from 1, 2, 3; got {formants}")
        self.formants, self.min_hz, self.rel = tuple(sorted(set(formants))), min_hz, rel

    def params(self) -> str:
        ks = "".join(map(str, self.formants))
        return f"F{ks},w{self.min_hz:g}hz,{self.rel * 100:g}pct"

    def mask(self, batch: ScoringBatch) -> np.ndarray:
        return formant_mask(batch.formants, batch.axis, self.formants, self.min_hz, self.rel)


@METRICS.register()
class FormantBandMass(_FormantMetric):
    name = "formant_band_mass"
    version = 2  # v2: NaN for an empty mask (v1 gave 0)
    description = "share of positive attribution within the formant bands F1-F3"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        mask = self.mask(batch)
        mass = positive_mass_share(batch.attributions.cpu().numpy(), mask)
        return np.where(mask.any((1, 2)), mass, np.nan)


@METRICS.register()
class FormantBandLift(_FormantMetric):
    name = "formant_band_lift"
    description = "F1-F3 band mass / the mask's share of the image (1 = chance)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        mask = self.mask(batch)
        return _ratio(positive_mass_share(batch.attributions.cpu().numpy(), mask), mask.mean((1, 2)))


@METRICS.register()
class FormantPointingGame(_FormantMetric):
    name = "formant_pointing_game"
    description = "1 if the attribution's maximum lies in a formant band (F1-F3), else 0"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        return pointing_hit(batch.attributions.cpu().numpy(), self.mask(batch))


# The single-formant variants are specs (formant_band_lift@formants=1); their old names stay valid
# as aliases, so stored rows, commands and docs that use them keep working.
for _name in (FormantBandMass.name, FormantBandLift.name):
    for _k in (1, 2, 3):
        METRICS.alias(f"{_name}_f{_k}", f"{_name}@formants={_k}")


class _BandMetric(Metric):
    """Share of A+ in the rows whose centre lies in [lo_hz, hi_hz)."""

    family = "linguistic"
    nan_means = "A+ sums to 0, or the image has no rows in the band"

    def rows(self, batch: ScoringBatch) -> np.ndarray:
        lo, hi = self.band()
        return band_rows(batch.axis, lo, hi)[None, :, None]

    def band(self) -> tuple[float, float]:
        raise NotImplementedError


class _F0Metric(_BandMetric):
    task_kinds = ("voicing",)

    def __init__(self, *, cutoff_hz: float = 700.0) -> None:
        if cutoff_hz <= 0:
            raise ValueError(f"cutoff_hz must be positive, got {cutoff_hz}")
        self.cutoff_hz = cutoff_hz

    def params(self) -> str:
        return f"below{self.cutoff_hz:g}hz"

    def band(self) -> tuple[float, float]:
        return -np.inf, self.cutoff_hz


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
        return _ratio(positive_mass_share(batch.attributions.cpu().numpy(), rows), rows.mean())


@METRICS.register()
class HighBandShare(_BandMetric):
    name = "high_band_share"
    task_kinds = ("vowel",)  # meaningful on the full-band vowel5 only: NaN where the axis stops at 4 kHz
    higher_is_better = False  # descriptive; lower = closer to the prior (F1-F3 lie below 4 kHz)
    description = "share of positive attribution above 4 kHz (NaN when the image has no rows there)"

    def __init__(self, *, cutoff_hz: float = 4000.0) -> None:
        if cutoff_hz <= 0:
            raise ValueError(f"cutoff_hz must be positive, got {cutoff_hz}")
        self.cutoff_hz = cutoff_hz

    def params(self) -> str:
        return f"above{self.cutoff_hz:g}hz"

    def band(self) -> tuple[float, float]:
        return self.cutoff_hz, np.inf

    def score(self, batch: ScoringBatch) -> np.ndarray:
        rows = self.rows(batch)
        share = positive_mass_share(batch.attributions.cpu().numpy(), rows)
        return share if rows.any() else np.full(len(share), np.nan)
