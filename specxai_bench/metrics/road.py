"""ROAD, RemOve And Debias (Rong et al. 2022; Quantus' ROAD), most relevant first, seeded per sample.

For each percentage p, the floor(p / 100 * H * W) pixels with the largest signed attribution
(stable order: ties go to the lower flat index, i.e. the lower row) are replaced by noisy linear
imputation: each removed pixel takes the weighted mean of its 8 neighbours (1/6 for the 4 direct,
1/12 for the diagonal ones), solved jointly as one sparse linear system so that removed regions are
filled from their border, plus N(0, noise^2). The imputation hides the shape of the removed set,
which plain deletion leaks to the model. The score is the share of percentages at which the model
still predicts the target class: the area under ROAD's MoRF accuracy curve, one sample at a time.
Range [0, 1], lower is better. NaN where the map is constant (all zero included): no order.

The noise is drawn from ``numpy.random.RandomState(seed)`` afresh for each sample (so a score does
not depend on the batch); with that, the perturbed images equal Quantus' ``noisy_linear_imputation``
called one sample at a time after ``np.random.seed(seed)`` (tests/metrics/test_quantus_models.py).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import spsolve

from .base import METRICS, Metric, ScoringBatch
from .faithfulness import constant_maps, eval_mode

# (row offset, column offset, weight): Quantus' / the ROAD authors' neighbour weights.
NEIGHBOURS = ((1, 1, 1 / 12), (0, 1, 1 / 6), (-1, 1, 1 / 12), (1, -1, 1 / 12), (0, -1, 1 / 6), (-1, -1, 1 / 12),
              (1, 0, 1 / 6), (-1, 0, 1 / 6))


def noisy_linear_imputation(image: np.ndarray, removed: np.ndarray, noise: float,
                            rng: np.random.RandomState) -> np.ndarray:
    """``image`` [H, W] with the flat pixels ``removed`` imputed from their neighbours, plus noise."""
    h, w = image.shape
    k = len(removed)
    flat = image.reshape(-1)
    out = flat.copy()
    if k == 0:
        return out.reshape(h, w)
    var = np.full(h * w, -1, dtype=np.int64)
    var[removed] = np.arange(k)
    r, c = removed // w, removed % w
    diag, rhs = np.ones(k), np.zeros(k)
    rows, cols, vals = [], [], []
    for dr, dc, weight in NEIGHBOURS:
        rr, cc = r + dr, c + dc
        valid = (rr >= 0) & (cc >= 0) & (rr < h) & (cc < w)
        diag[~valid] -= weight
        ids, nb = np.flatnonzero(valid), rr[valid] * w + cc[valid]
        unknown = var[nb]
        known = unknown < 0
        rhs[ids[known]] -= weight * flat[nb[known]].astype(np.float64)
        rows.append(ids[~known])
        cols.append(unknown[~known])
        vals.append(np.full(len(rows[-1]), weight))
    rows, cols, vals = [*rows, np.arange(k)], [*cols, np.arange(k)], [*vals, -diag]
    a = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(k, k)).tocsc()
    solution = np.asarray(spsolve(a, rhs)).reshape(-1)
    out[removed] = solution + noise * rng.randn(k)
    return out.reshape(h, w)


@METRICS.register()
class ROAD(Metric):
    name = "road"
    nan_means = "the map is constant (all zero included): it gives no order"
    family = "faithfulness"
    higher_is_better = False
    description = "share of removal levels (most relevant first, noisy linear imputation) still classified right"

    def __init__(self, *, percentages: tuple[float, ...] = (10, 30, 50, 70, 90), noise: float = 0.01, seed: int = 0,
                 chunk_size: int = 64) -> None:
        percentages = tuple(percentages)
        if not percentages or not all(0 < p < 100 for p in percentages):
            raise ValueError(f"percentages must be in (0, 100); got {percentages!r}")
        if noise < 0 or chunk_size < 1:
            raise ValueError(f"noise must be >= 0 and chunk_size >= 1; got {noise}, {chunk_size}")
        self.percentages, self.noise, self.seed, self.chunk_size = percentages, noise, seed, chunk_size

    def params(self) -> str:
        return f"MoRF,p{'-'.join(f'{p:g}' for p in self.percentages)},n{self.noise:g},seed{self.seed}"

    def perturbed(self, image: np.ndarray, attribution: np.ndarray) -> np.ndarray:
        """[P, H, W]: ``image`` [H, W] after removing each percentage's most relevant pixels."""
        order = np.argsort(-attribution.reshape(-1), kind="stable")
        rng, n = np.random.RandomState(self.seed), attribution.size
        return np.stack([noisy_linear_imputation(image, order[:int(n * p / 100)], self.noise, rng)
                         for p in self.percentages])

    def score(self, batch: ScoringBatch) -> np.ndarray:
        if batch.model is None:
            raise ValueError(f"{self.name} needs the model (batch.model is None)")
        images = batch.images
        a = batch.attributions.detach().cpu().numpy()
        x = np.stack([self.perturbed(img, att) for img, att in zip(images[:, 0].cpu().numpy(), a)])  # [B, P, H, W]
        x = torch.from_numpy(x.astype(np.float32)).to(images.device).flatten(0, 1)[:, None]
        targets = batch.targets.to(images.device).long().repeat_interleave(len(self.percentages))
        with torch.no_grad(), eval_mode(batch.model):
            pred = torch.cat([batch.model(x[i:i + self.chunk_size]).argmax(-1)
                              for i in range(0, len(x), self.chunk_size)])
        kept = (pred == targets).view(len(a), -1).double().mean(1).cpu().numpy()
        return np.where(constant_maps(batch.attributions), np.nan, kept)
