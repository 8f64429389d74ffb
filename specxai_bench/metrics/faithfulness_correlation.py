"""Faithfulness correlation (Bhatt et al. 2020; Quantus' FaithfulnessCorrelation), batched and seeded.

R random pixel subsets S_r of |S| = round(subset * H * W) pixels are drawn from ``seed`` alone
(``numpy.random.RandomState(seed).choice(H * W, |S|, replace=False)``, once per run, shared by
every sample and method, so a sample's score does not depend on its batch). For each sample and
run, the subset is set to the baseline (the image's minimum, i.e. silence, as Quantus' "black";
or its mean) and the target logit's drop d_r = f(x)_y - f(x_r)_y is read; the score is Pearson's
correlation over the runs between sum_{i in S_r} A_i and d_r. Range [-1, 1], higher is better.
NaN where either series is constant (an all-zero or constant map; a model blind to the subsets).
Equal to Quantus' FaithfulnessCorrelation(normalise=False, abs=False, perturb_baseline="black")
called one sample at a time after ``np.random.seed(seed)`` (tests/metrics/test_quantus_models.py).
"""

from __future__ import annotations

import numpy as np
import torch

from .base import METRICS, Metric, ScoringBatch
from .correlation import pearson_rows
from .faithfulness import BASELINES, baseline_fill, eval_mode


@METRICS.register()
class FaithfulnessCorrelation(Metric):
    name = "faithfulness_correlation"
    nan_means = "either series is constant (a constant map, or a model blind to the subsets)"
    family = "faithfulness"
    description = "Pearson correlation of attribution sums and target-logit drops over random pixel subsets"

    def __init__(self, *, subset: float = 0.02, nr_runs: int = 32, baseline: str = "min", seed: int = 0,
                 chunk_size: int = 64) -> None:
        if not 0 < subset < 1:
            raise ValueError(f"subset must be a share of the pixels in (0, 1); got {subset!r}")
        if nr_runs < 2 or chunk_size < 1:
            raise ValueError(f"nr_runs must be >= 2 and chunk_size >= 1; got {nr_runs}, {chunk_size}")
        if baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {BASELINES}; got {baseline!r}")
        self.subset, self.nr_runs, self.baseline = subset, nr_runs, baseline
        self.seed, self.chunk_size = seed, chunk_size

    def params(self) -> str:
        return f"S{self.subset * 100:g}pct,R{self.nr_runs},{self.baseline},seed{self.seed}"

    def subset_size(self, n_pixels: int) -> int:
        return min(max(1, round(self.subset * n_pixels)), n_pixels - 1)

    def subsets(self, n_pixels: int) -> np.ndarray:
        """[R, |S|] flat pixel indices, drawn from the seed alone (Quantus' draw, one sample at a time)."""
        rs, size = np.random.RandomState(self.seed), self.subset_size(n_pixels)
        return np.stack([rs.choice(n_pixels, size, replace=False) for _ in range(self.nr_runs)])

    def score(self, batch: ScoringBatch) -> np.ndarray:
        if batch.model is None:
            raise ValueError(f"{self.name} needs the model (batch.model is None)")
        images = batch.images
        b, _, h, w = images.shape
        dev, targets = images.device, batch.targets.to(images.device).long()
        idx = self.subsets(h * w)
        mask = torch.zeros(self.nr_runs, h * w, dtype=torch.bool, device=dev)
        mask[torch.arange(self.nr_runs, device=dev)[:, None], torch.as_tensor(idx, device=dev)] = True
        mask = mask.view(self.nr_runs, 1, h, w)
        fill = baseline_fill(images, self.baseline)
        owner = torch.arange(b, device=dev).repeat_interleave(self.nr_runs + 1)  # run 0: the image itself
        run = torch.arange(self.nr_runs + 1, device=dev).repeat(b)
        logits = []
        with torch.no_grad(), eval_mode(batch.model):
            for i in range(0, len(owner), self.chunk_size):
                o, r = owner[i:i + self.chunk_size], run[i:i + self.chunk_size]
                hit = (r > 0)[:, None, None, None] & mask[(r - 1).clamp(min=0)]
                x = torch.where(hit, fill[o, None, None, None], images[o])
                logits.append(batch.model(x).float().gather(1, targets[o, None])[:, 0])
        y = torch.cat(logits).view(b, self.nr_runs + 1).cpu().numpy()
        drops = (y[:, :1] - y[:, 1:]).astype(np.float64)  # float32 differences, as Quantus
        a = batch.attributions.detach().flatten(1).cpu().numpy()
        sums = a[:, idx].sum(-1, dtype=np.float64)  # [B, R]
        return pearson_rows(sums, drops)
