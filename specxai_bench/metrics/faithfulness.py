"""Faithfulness by band deletion: region perturbation (Samek et al. 2017) on frequency bands.

The frequency axis is split into K bands of equal rows. Bands are deleted (set to the baseline:
the image's minimum, i.e. silence at -top_db, or its mean) most-attributed first, by the mean of
the signed attribution over the band; after each step the model's softmax probability of the
target class is read. AUC = trapezoid under p_0 .. p_K over x = k / K, in [0, 1], lower is better.
``band_deletion_gain`` = mean AUC over ``n_random`` seeded random orders - AUC of the attribution
order: higher is better, 0 = no better than chance. The random orders are drawn from the seed
alone and shared by every sample, so a sample's score does not depend on the batch it came in.
NaN where the map is constant (all zero included): it gives no order. Ties: lower band first.
All perturbed copies of a batch go through the model stacked, ``chunk_size`` images per forward.
"""

from __future__ import annotations

import hashlib
import weakref
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch

from .base import METRICS, Metric, ScoringBatch
from .masks import band_of_row

BASELINES = ("min", "mean")

# The random-order AUCs depend on the model, the image and the target only, not on the map: a
# grid of M methods would evaluate the same n_random x K perturbed copies M times (80 of the ~100
# forwards per sample at the defaults). Kept per model object, dropped with it.
_RANDOM_AUCS: "weakref.WeakKeyDictionary[torch.nn.Module, dict[tuple, np.ndarray]]" = weakref.WeakKeyDictionary()


def baseline_fill(images: torch.Tensor, baseline: str) -> torch.Tensor:
    """One fill value per image [B] of [B, 1, H, W]: its minimum (silence) or its mean."""
    return images.amin((1, 2, 3)) if baseline == "min" else images.mean((1, 2, 3))


def constant_maps(attributions: torch.Tensor) -> np.ndarray:
    """[B] True where a map [B, H, W] is constant (all zero included): it gives no order, so NaN."""
    flat = attributions.flatten(1)
    return (flat.amax(1) == flat.amin(1)).cpu().numpy()


@contextmanager
def eval_mode(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """The model in eval mode, its previous mode restored on exit."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def deletion_curves(model: torch.nn.Module, images: torch.Tensor, targets: torch.Tensor, orders: torch.Tensor,
                    *, baseline: str = "min", chunk_size: int = 64) -> torch.Tensor:
    """p[b, o, s]: target probability after deleting the first s bands of ``orders[b, o]`` (s = 0..K).

    ``orders`` [B, O, K] holds band permutations. Step 0 (the image) and step K (every band gone)
    are the same for all orders and are evaluated once per sample.
    """
    b, _, h, _ = images.shape
    n_orders, k = orders.shape[1:]
    dev = images.device
    row_step = orders.argsort(-1)[..., torch.as_tensor(band_of_row(h, k), device=dev)]  # [B, O, H]
    mid = row_step[:, :, None, :] < torch.arange(1, k, device=dev)[:, None]  # [B, O, K-1, H]
    ends = torch.arange(2, device=dev)[None, :, None].expand(b, 2, h).bool()  # nothing / everything
    removed = torch.cat([ends, mid.flatten(1, 2)], 1)  # [B, N, H]
    n = removed.shape[1]
    removed, owner = removed.flatten(0, 1), torch.arange(b, device=dev).repeat_interleave(n)
    fill = baseline_fill(images, baseline)
    probs = []
    with torch.no_grad(), eval_mode(model):
        for i in range(0, b * n, chunk_size):
            o, rows = owner[i:i + chunk_size], removed[i:i + chunk_size, None, :, None]
            x = torch.where(rows, fill[o, None, None, None], images[o])
            probs.append(model(x).float().softmax(-1).gather(1, targets[o, None].long())[:, 0])
    p = torch.cat(probs).view(b, n)
    first, last = p[:, None, :1].expand(b, n_orders, 1), p[:, None, 1:2].expand(b, n_orders, 1)
    return torch.cat([first, p[:, 2:].view(b, n_orders, k - 1), last], 2)


class _BandDeletion(Metric):
    family = "faithfulness"
    nan_means = "the map is constant (all zero included): it gives no order"

    def __init__(self, *, n_bands: int = 16, baseline: str = "min", chunk_size: int = 64) -> None:
        if n_bands < 1 or chunk_size < 1:
            raise ValueError(f"n_bands and chunk_size must be >= 1; got {n_bands}, {chunk_size}")
        if baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {BASELINES}; got {baseline!r}")
        self.n_bands, self.baseline, self.chunk_size = n_bands, baseline, chunk_size

    def params(self) -> str:
        return f"K{self.n_bands},{self.baseline}"

    def aucs(self, batch: ScoringBatch, extra_orders: torch.Tensor | None = None) -> np.ndarray:
        """AUC [B, O] of the attribution order (column 0), then of each of ``extra_orders`` [R, K]."""
        auc = self.raw_aucs(batch, extra_orders)
        return np.where(constant_maps(batch.attributions)[:, None], np.nan, auc)

    def raw_aucs(self, batch: ScoringBatch, extra_orders: torch.Tensor | None = None) -> np.ndarray:
        """As :meth:`aucs`, without the NaN for constant maps."""
        if batch.model is None:
            raise ValueError(f"{self.name} needs the model (batch.model is None)")
        images, a = batch.images, batch.attributions.to(batch.images.device, torch.float64)
        band = torch.as_tensor(band_of_row(a.shape[1], self.n_bands), device=a.device)
        mass = torch.zeros(a.shape[0], self.n_bands, dtype=a.dtype, device=a.device).index_add_(1, band, a.mean(2))
        mass = mass / torch.bincount(band, minlength=self.n_bands)
        orders = torch.sort(mass, stable=True, dim=-1, descending=True).indices[:, None]  # [B, 1, K]
        if extra_orders is not None:
            orders = torch.cat([orders, extra_orders.to(orders.device).expand(len(orders), -1, -1)], 1)
        p = deletion_curves(batch.model, images, batch.targets.to(images.device), orders,
                            baseline=self.baseline, chunk_size=self.chunk_size)
        return ((p.sum(-1) - (p[..., 0] + p[..., -1]) / 2) / self.n_bands).double().cpu().numpy()


@METRICS.register()
class BandDeletion(_BandDeletion):
    name = "band_deletion"
    higher_is_better = False
    description = "AUC of target probability as frequency bands are deleted, most attributed first"

    def score(self, batch: ScoringBatch) -> np.ndarray:
        return self.aucs(batch)[:, 0]


@METRICS.register()
class BandDeletionGain(_BandDeletion):
    name = "band_deletion_gain"
    description = "band-deletion AUC of random band orders minus that of the attribution's order"

    def __init__(self, *, n_bands: int = 16, baseline: str = "min", n_random: int = 4, seed: int = 0,
                 chunk_size: int = 64) -> None:
        super().__init__(n_bands=n_bands, baseline=baseline, chunk_size=chunk_size)
        if n_random < 1:
            raise ValueError(f"n_random must be >= 1; got {n_random}")
        self.n_random, self.seed = n_random, seed

    def params(self) -> str:
        return f"{super().params()},r{self.n_random},seed{self.seed}"

    def random_orders(self) -> torch.Tensor:
        g = torch.Generator().manual_seed(self.seed)
        return torch.stack([torch.randperm(self.n_bands, generator=g) for _ in range(self.n_random)])

    def score(self, batch: ScoringBatch) -> np.ndarray:
        if batch.model is None:
            raise ValueError(f"{self.name} needs the model (batch.model is None)")
        cache = _RANDOM_AUCS.setdefault(batch.model, {})
        keys = self._sample_keys(batch)
        if all(k in cache for k in keys):  # another method already paid for the random orders
            attributed, random = self.raw_aucs(batch)[:, 0], np.stack([cache[k] for k in keys])
        else:
            auc = self.raw_aucs(batch, self.random_orders())
            attributed, random = auc[:, 0], auc[:, 1:]
            cache.update(zip(keys, random))
        return np.where(constant_maps(batch.attributions), np.nan, random.mean(1) - attributed)

    def _sample_keys(self, batch: ScoringBatch) -> list[tuple]:
        """What a sample's random-order AUCs depend on besides the model: image, target, settings."""
        images = batch.images.detach().float().cpu().numpy()
        targets = batch.targets.cpu().numpy()
        return [(hashlib.blake2b(img.tobytes(), digest_size=16).hexdigest(), int(t), self.n_bands,
                 self.baseline, self.seed, self.n_random) for img, t in zip(images, targets)]
