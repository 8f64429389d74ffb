"""F0 as phonetics reads it: the harmonics k F0(t) of each sample's F0 track, not a fixed low band.

The fixed band below 700 Hz (``f0_band_mass``) also holds F1 of most adult vowels and the nasal
murmur, so it measures low-frequency mass. Here harmonic k of column t owns the rows nearest to it,
and the mask H is the central part of each, |f(i) - k F0(t)| <= width F0(t), for k = 1..K
(masks.harmonic_mask). Defaults K = 5 and width = F0 / 4: the first five harmonics span the voice
bar and the low harmonics that carry periodicity (men ~100-660 Hz, children ~150-1650 Hz), and a
quarter of F0 on each side makes H exactly half of the region the harmonics own, so the lift of a
map that ignores harmonic structure is 1 whatever the speaker's F0.

- f0_harmonic_mass = sum(A+ H) / sum(A+): the share of all positive attribution on harmonics 1..K.
- f0_harmonic_lift = [sum_R(A+ H) / sum_R(A+)] / [sum_R(H) / |R|] in the region R the harmonics own
  (F0 / 2 <= f < (K + 1/2) F0 in voiced columns): 1 = no preference for the harmonics over the valleys
  between them, 2 (at width 1/4) = all mass on the harmonics. Where the mass sits in frequency (the
  fixed band's question) does not enter it.
Both NaN where no column is voiced (unvoiced samples: there is no harmonic to follow; read
f0_band_mass for them), or where A+ is 0 on H's support (mass) or in R (lift).
"""

from __future__ import annotations

import numpy as np

from .base import METRICS, Metric, ScoringBatch
from .lift import chance, mask_share, ratio
from .masks import check_harmonic_options, harmonic_mask


class _HarmonicMetric(Metric):
    nan_means = "no column of the sample is voiced (no F0, so no harmonic to follow), or A+ sums to 0"
    family = "linguistic"
    task_kinds = ("voicing",)

    def __init__(self, *, harmonics: int = 5, width: float = 0.25) -> None:
        check_harmonic_options(harmonics, width)
        self.harmonics, self.width = harmonics, width

    def params(self) -> str:
        return f"K{self.harmonics},w{self.width * 100:g}pctF0"

    def masks(self, batch: ScoringBatch) -> tuple[np.ndarray, np.ndarray]:
        return harmonic_mask(batch.f0, batch.axis, self.harmonics, self.width)


@METRICS.register()
class F0HarmonicMass(_HarmonicMetric):
    name = "f0_harmonic_mass"
    description = "share of positive attribution on the first K harmonics of the F0 track (NaN if unvoiced)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        mask, _ = self.masks(batch)
        share = mask_share(batch.attributions.cpu().numpy(), mask)
        return np.where(mask.any((1, 2)), share, np.nan)


@METRICS.register()
class F0HarmonicLift(_HarmonicMetric):
    name = "f0_harmonic_lift"
    description = "harmonic mass / chance inside the band the harmonics span: follows F0 itself (NaN if unvoiced)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        mask, region = self.masks(batch)
        return ratio(mask_share(batch.attributions.cpu().numpy(), mask, region), chance(mask, region))
