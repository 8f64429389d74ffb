"""Shortcut recovery: how much positive attribution lands on the band planted in the sample (ground truth).

On the shortcut task (specxai_bench/data/shortcut.py) each class is marked only by a narrow band of
noise planted in the audio, so the evidence the model uses is known. With A+ = max(A, 0) and
S the rows whose centre lies within width / 2 + margin of the sample's band centre (all columns):
- shortcut recovery SR = sum(A+ * S) / sum(A+);
- shortcut recovery lift = SR / (|S| / H): 1 is chance (a map spread evenly over the rows).
NaN where A+ sums to 0 or S is empty. The band is the one planted in the image (the true class's),
whichever class is attributed. docs/metrics.md is the citable definition.
"""

from __future__ import annotations

import numpy as np

from .base import METRICS, Metric, ScoringBatch
from .linguistic import _ratio, positive_mass_share
from .masks import planted_band_rows


class _ShortcutMetric(Metric):
    family = "localisation"
    nan_means = "A+ sums to 0, or the planted band has no rows on the image"
    task_kinds = ("shortcut",)

    def __init__(self, *, margin_hz: float = 100.0) -> None:
        if not (margin_hz >= 0 and np.isfinite(margin_hz)):
            raise ValueError(f"margin_hz must be >= 0, got {margin_hz}")
        self.margin_hz = margin_hz

    def params(self) -> str:
        return f"margin{self.margin_hz:g}hz"

    def rows(self, batch: ScoringBatch) -> np.ndarray:
        """Boolean [B, H]: the rows of each sample's planted band (plus the margin)."""
        if batch.bands is None:
            raise ValueError(f"{self.name} needs each sample's planted band (batch.bands); only the shortcut "
                             "task plants one")
        bands = np.asarray(batch.bands, dtype=np.float64)
        if bands.shape != (len(batch.attributions), 2):
            raise ValueError(f"bands must be [B, 2] (centre, width) Hz, got {bands.shape}")
        return planted_band_rows(batch.axis, bands, self.margin_hz)

    def share(self, batch: ScoringBatch) -> tuple[np.ndarray, np.ndarray]:
        rows = self.rows(batch)
        share = positive_mass_share(batch.attributions.cpu().numpy(), rows[:, :, None])
        return np.where(rows.any(1), share, np.nan), rows


@METRICS.register()
class ShortcutRecovery(_ShortcutMetric):
    name = "shortcut_recovery"
    description = "share of positive attribution on the band planted in the sample (shortcut task ground truth)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        return self.share(batch)[0]


@METRICS.register()
class ShortcutRecoveryLift(_ShortcutMetric):
    name = "shortcut_recovery_lift"
    description = "shortcut recovery / the band's share of the rows (1 = chance)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        share, rows = self.share(batch)
        return _ratio(share, rows.mean(1))
