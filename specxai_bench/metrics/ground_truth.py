"""Ground-truth localisation: how well a map finds the cue box the model provably uses.

On the shortcut tasks each sample carries its cue's box (t0, t1 s; low, high Hz): a 40 ms burst
on ``tf-shortcut``, the whole segment on ``shortcut``. G = the image cells of that box widened by
``margin_hz`` and ``margin_ms`` (the STFT window spreads the burst), through the FrequencyAxis and
the column-to-time map (:func:`specxai_bench.data.boxes.box_mask`). With ``grid=HxW`` the map is
first area-averaged onto H x W cells and G becomes the cells that hold any of its pixels
(:mod:`.grid`), so maps of different native resolutions compare on one grid. K = |G|, N = cells.

- relevance mass accuracy = sum(A+ on G) / sum(A+) (Arras, Osman & Samek 2022);
- relevance rank accuracy = share of the K highest-ranked cells of A that lie in G (Arras et al.);
  tied values at the K-th place count in proportion (the expected share under random tie-breaking),
  so a constant stretch of a map is neither favoured nor penalised by its position;
- pixel ROC-AUC = P(A on a random cell of G > A on a random cell outside G), ties counting 1/2
  (the Mann-Whitney form of the ROC area Quantus' AUC computes with sklearn).

Chance is K / N for the first two and 0.5 for the AUC. NaN where G is empty (no cue), for the
AUC also where G is every cell, and where the map is constant (rank and AUC; A+ summing to 0 for
the mass). Equal to Quantus' RelevanceMassAccuracy (on A+), RelevanceRankAccuracy and AUC given
the same masks (tests/metrics/test_ground_truth.py); vectorised over the batch.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ..data.boxes import box_mask
from .base import METRICS, Metric, ScoringBatch
from .grid import FULL, parse_grid, pool_mask, pool_maps
from .linguistic import _ratio, positive_mass_share


class _GroundTruthMetric(Metric):
    family = "ground_truth"
    task_kinds = ("shortcut", "tf-shortcut")
    nan_means = ("the cue's box has no cell on the grid (AUC: or every cell), or the map is constant (rank, AUC) or "
                 "has no positive mass (mass)")

    def __init__(self, *, margin_hz: float = 100.0, margin_ms: float = 10.0, grid: str = FULL) -> None:
        for name, value in (("margin_hz", margin_hz), ("margin_ms", margin_ms)):
            if not (value >= 0 and np.isfinite(value)):
                raise ValueError(f"{name} must be >= 0, got {value}")
        self.margin_hz, self.margin_ms, self.grid = margin_hz, margin_ms, grid
        self.cells = parse_grid(grid)

    def params(self) -> str:
        grid = "" if self.cells is None else f",grid{self.cells[0]}x{self.cells[1]}"
        return f"margin{self.margin_hz:g}hz,{self.margin_ms:g}ms{grid}"

    def truth(self, batch: ScoringBatch) -> tuple[np.ndarray, np.ndarray]:
        """(maps [B, N], box mask [B, N]) on the scoring grid."""
        if batch.boxes is None or batch.durations is None:
            raise ValueError(f"{self.name} needs each sample's cue box (batch.boxes, batch.durations); only the "
                             "shortcut tasks plant a cue")
        maps = batch.attributions.cpu().numpy()
        b, h, w = maps.shape
        if batch.axis.n_rows != h:
            raise ValueError(f"the frequency axis has {batch.axis.n_rows} rows but the maps {h}")
        mask = box_mask(np.asarray(batch.boxes)[:, 0], batch.durations, batch.axis, w, margin_hz=self.margin_hz,
                        margin_s=self.margin_ms / 1000.0)
        if self.cells is not None:
            maps, mask = pool_maps(maps, self.cells), pool_mask(mask, self.cells)
        return maps.reshape(b, -1), mask.reshape(b, -1)


def _varies(maps: np.ndarray) -> np.ndarray:
    return maps.max(1) > maps.min(1)


def rank_accuracy(maps: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[B]: share of the K = |mask| top cells of each row of ``maps`` [B, N] inside ``mask``; ties at the
    K-th value count in proportion. NaN where the mask is empty."""
    k = mask.sum(1)
    desc = -np.sort(-maps, axis=1)
    kth = np.take_along_axis(desc, np.maximum(k - 1, 0)[:, None], 1)  # the K-th largest value
    above, tied = maps > kth, maps == kth
    n_above, n_tied = above.sum(1), tied.sum(1)
    hits = (above & mask).sum(1) + (k - n_above) * (tied & mask).sum(1) / np.maximum(n_tied, 1)
    return _ratio(hits.astype(np.float64), k.astype(np.float64))


def roc_auc(maps: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[B]: ROC area of each row of ``maps`` [B, N] as a score for ``mask`` (Mann-Whitney U, ties 1/2).
    NaN where the mask is empty or full."""
    ranks = rankdata(maps, axis=1)  # average ranks of ties
    pos = mask.sum(1).astype(np.float64)
    neg = mask.shape[1] - pos
    u = (ranks * mask).sum(1) - pos * (pos + 1) / 2
    return _ratio(u, pos * neg)


@METRICS.register()
class RelevanceMassAccuracy(_GroundTruthMetric):
    name = "relevance_mass_accuracy"
    description = "share of positive attribution inside the cue's time x frequency box (ground truth)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        maps, mask = self.truth(batch)
        mass = positive_mass_share(maps[:, None, :], mask[:, None, :])
        return np.where(mask.any(1), mass, np.nan)


@METRICS.register()
class RelevanceRankAccuracy(_GroundTruthMetric):
    name = "relevance_rank_accuracy"
    description = "share of the box-sized top of the map inside the cue's box (ground truth; chance = box share)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        maps, mask = self.truth(batch)
        return np.where(_varies(maps), rank_accuracy(maps, mask), np.nan)


@METRICS.register()
class PixelRocAuc(_GroundTruthMetric):
    name = "pixel_roc_auc"
    description = "ROC area of the map's cells as a detector of the cue's box (ground truth; chance 0.5)"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        maps, mask = self.truth(batch)
        return np.where(_varies(maps), roc_auc(maps, mask), np.nan)
