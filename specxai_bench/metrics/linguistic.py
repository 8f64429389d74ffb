"""Linguistic-prior metrics: how much positive attribution lands where phonetics says it should.

Definitions (docs/metrics.md is the citable version). A+ = max(A, 0); f(i) is row i's centre.
- formant-band mass FBM = sum(A+ * M) / sum(A+), M[i, t] = 1 iff |f(i) - F_k(t)| <= w_k(t) for some
  k in the chosen formants, w_k = max(100 Hz, 0.1 F_k) (``widen=true``: also >= F0(t) / 2, so each
  band holds a harmonic). Formant-band lift = FBM / mean(M): 1 is chance. ``@formants=1`` (alias
  ``_f1``) and so on use one formant.
- ``below_hz=4000`` (alias ``in_band_formant_lift``): both read only in the rows below 4 kHz, so
  "follows formants inside the band" is apart from "puts mass below 4 kHz" (high_band_share).
- ``grid=7x7``: the map pooled to a coarse grid first (metrics/lift.py); ``grid=auto`` in `run`: the
  coarsest native grid of its methods. formant_band_lift_normalised = (lift - 1) / (ceiling - 1),
  the ceiling being the best lift any non-negative map of that grid can reach on that mask.
- formant pointing game: 1 if a maximum of A lies in M, else 0 (Quantus' PointingGame).
- F0-band mass = share of A+ in rows below 700 Hz; its lift divides by that band's share of rows
  (f0_harmonics.py: the mask that follows F0 itself).
- high-band share = share of A+ in rows above 4 kHz (full-band vowel task; NaN on a 0-4 kHz axis).
NaN, never 0, where a sample's A+ sums to 0 (pointing game: where A is constant or <= 0) or its
mask is empty. Vectorised over the batch (no per-sample loops): these are localisation metrics
with a linguistic mask, the same sums as Quantus' RelevanceMassAccuracy / PointingGame.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import NamedTuple

import numpy as np

from ..methods.grid import AUTO, FULL, parse_grid
from .base import METRICS, Metric, ScoringBatch
from .lift import (
    CellMask,
    chance,
    check_grid,
    grid_cells,
    mask_share,
    normalised,
    positive_mass_share,
)
from .lift import ratio as _ratio
from .masks import band_rows, formant_mask

__all__ = ["positive_mass_share", "pointing_hit", "_ratio"]  # shared with shortcut.py and the benchmarks


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

    def __init__(self, *, formants: tuple[int, ...] = (1, 2, 3), min_hz: float = 100.0, rel: float = 0.1,
                 widen: bool = False) -> None:
        if not formants or any(k not in (1, 2, 3) for k in formants):
            raise ValueError(f"formants must be drawn from 1, 2, 3; got {formants}")
        self.formants, self.min_hz, self.rel = tuple(sorted(set(formants))), min_hz, rel
        self.widen = widen

    def params(self) -> str:
        ks = "".join(map(str, self.formants))
        return f"F{ks},w{self.min_hz:g}hz,{self.rel * 100:g}pct" + (",widenF0" if self.widen else "")

    def mask(self, batch: ScoringBatch) -> np.ndarray:
        return formant_mask(batch.formants, batch.axis, self.formants, self.min_hz, self.rel,
                            f0=batch.f0 if self.widen else None)


class _FormantShare(_FormantMetric):
    """Mass-based formant metrics: read in the rows below ``below_hz`` (None: all), or on a coarse ``grid``."""

    def __init__(self, *, formants: tuple[int, ...] = (1, 2, 3), min_hz: float = 100.0, rel: float = 0.1,
                 widen: bool = False, below_hz: float | None = None, grid: str = FULL) -> None:
        super().__init__(formants=formants, min_hz=min_hz, rel=rel, widen=widen)
        if below_hz is not None and not below_hz > 0:
            raise ValueError(f"below_hz must be positive, got {below_hz}")
        self.below_hz, self.grid = below_hz, check_grid(grid)
        if below_hz is not None and self.grid != FULL:
            raise ValueError("below_hz and grid cannot be combined: a coarse cell straddles the band edge; "
                             "score in-band on the image grid, or pool the whole image")

    def params(self) -> str:
        return (super().params() + ("" if self.below_hz is None else f",below{self.below_hz:g}hz")
                + ("" if self.grid == FULL else f",grid{self.grid}"))

    def region(self, batch: ScoringBatch) -> np.ndarray | None:
        return None if self.below_hz is None else band_rows(batch.axis, -np.inf, self.below_hz)

    def cells(self) -> tuple[int, int] | None:
        """The grid as rows x columns (None: the image grid); ``auto`` must have been filled in by `run`."""
        if self.grid == AUTO:
            raise ValueError(f"{self.id}: grid=auto is filled in by `run` from its methods' native grids; give a "
                             "grid such as 7x7 when calling the metric directly")
        return parse_grid(self.grid)

    def terms(self, batch: ScoringBatch) -> "_Terms":
        """The mask, the share of A+ on it and its chance share, per sample, in the region and on the grid."""
        mask, region, grid = self.mask(batch), self.region(batch), self.cells()
        a = batch.attributions.cpu().numpy()
        if grid is None:
            return _Terms(mask, mask_share(a, mask, region), chance(mask, region), None)
        cells = CellMask.of(mask, grid)
        return _Terms(mask, cells.share(grid_cells(a, grid, batch.native_grid)), chance(mask), cells)


class _Terms(NamedTuple):
    mask: np.ndarray
    share: np.ndarray
    chance: np.ndarray
    cells: CellMask | None  # the mask seen from the grid (None: the image grid)


@METRICS.register()
class FormantBandMass(_FormantShare):
    name = "formant_band_mass"
    version = 2  # v2: NaN for an empty mask (v1 gave 0)
    description = "share of positive attribution within the formant bands F1-F3"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        t = self.terms(batch)
        return np.where(t.chance > 0, t.share, np.nan)


@METRICS.register()
class FormantBandLift(_FormantShare):
    name = "formant_band_lift"
    description = "F1-F3 band mass / the mask's share of the image (1 = chance)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        t = self.terms(batch)
        return _ratio(t.share, t.chance)


@METRICS.register()
class FormantBandLiftNormalised(_FormantShare):
    name = "formant_band_lift_normalised"
    description = "(lift - 1) / (ceiling - 1): formant lift as a share of the best a map of that grid can reach"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        t = self.terms(batch)
        ceiling = _ratio(np.ones_like(t.chance) if t.cells is None else t.cells.best(), t.chance)
        return normalised(_ratio(t.share, t.chance), ceiling)


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
# formant lift inside the band a linguist reads (F1-F3 lie below 4 kHz)
METRICS.alias("in_band_formant_lift", f"{FormantBandLift.name}@below_hz=4000")


class _BandMetric(Metric):
    """Share of A+ in the rows whose centre lies in [lo_hz, hi_hz)."""

    family = "linguistic"
    nan_means = "A+ sums to 0, or the image has no rows in the band"

    def rows(self, batch: ScoringBatch) -> np.ndarray:
        lo, hi = self.band()
        return band_rows(batch.axis, lo, hi)[None, :, None]

    @abstractmethod
    def band(self) -> tuple[float, float]:
        """The band (lo, hi) in Hz the metric reads."""


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
