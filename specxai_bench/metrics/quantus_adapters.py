"""Quantus' implementations of our localisation and complexity metrics, called with the flags
that make them comparable: the reference the tests and benchmarks/metric_speed.py check against
(and, for the model-side metrics, the reference tests/metrics/test_quantus_models.py checks against).

Not registered and not used by any metric (ours are the vectorised sums); Quantus is imported
only when one of these is called. Defaults that bite, and what we pass instead:
- ``normalise=True`` divides by the max |A| over the *whole batch* (scores then depend on batch
  composition): we pass ``normalise=False`` (the ratios and the Gini index are scale-free anyway).
- ``abs``: RelevanceMassAccuracy / PointingGame default False; Sparseness defaults True. Our
  localisation metrics use A+ = max(A, 0), so A+ is what we hand to Quantus.
- shapes: Quantus wants channel-first x [B, 1, H, W]; a [B, H, W] is expanded to [B, 1, H, W]
  and the mask s must be [B, 1, H, W] (``channel_first=True`` so nothing is guessed).
- ``disable_warnings=True``: otherwise every construction prints a citation banner.
- PointingGame returns a bool array, where its "NaN for an empty mask" becomes True; Sparseness
  adds 1e-7 to every pixel (relative difference ~1e-7 / mean |A|). Keep masks non-empty and maps
  of order 1 when comparing.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np


def _call(metric, attributions: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    b = attributions.shape[0]
    x = np.zeros((b, 1, *attributions.shape[1:]), dtype=np.float32)
    s = None if mask is None else np.broadcast_to(mask, attributions.shape)[:, None].astype(np.float32)
    out = metric(model=None, x_batch=x, y_batch=np.zeros(b, dtype=np.int64), a_batch=attributions,
                 s_batch=s, channel_first=True, batch_size=b)
    return np.asarray(out, dtype=np.float64)


def relevance_mass_accuracy(attributions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """quantus.RelevanceMassAccuracy of A+ in ``mask`` (both [B, H, W]), per sample."""
    import quantus

    m = quantus.RelevanceMassAccuracy(abs=False, normalise=False, disable_warnings=True)
    return _call(m, np.maximum(attributions, 0), mask)


def relevance_rank_accuracy(attributions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """quantus.RelevanceRankAccuracy of A (signed) for ``mask``: share of the |mask| top cells inside it.

    Quantus breaks ties by argsort order; ours counts tied cells in proportion, so compare on maps
    without ties at the K-th value."""
    import quantus

    m = quantus.RelevanceRankAccuracy(abs=False, normalise=False, disable_warnings=True)
    return _call(m, attributions, mask)


def auc(attributions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """quantus.AUC of A (signed) for ``mask``: sklearn's ROC area, per sample (a Python loop inside)."""
    import quantus

    m = quantus.AUC(abs=False, normalise=False, disable_warnings=True)
    return _call(m, attributions, mask)


def pointing_game(attributions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """quantus.PointingGame (unweighted): 1.0 if a maximum of A lies in ``mask``, per sample."""
    import quantus

    m = quantus.PointingGame(weighted=False, abs=False, normalise=False, disable_warnings=True)
    return _call(m, attributions, mask)


def sparseness(attributions: np.ndarray) -> np.ndarray:
    """quantus.Sparseness (Gini index of |A| + 1e-7), per sample."""
    import quantus

    m = quantus.Sparseness(abs=True, normalise=False, disable_warnings=True)
    return _call(m, attributions, None)


def complexity(attributions: np.ndarray) -> np.ndarray:
    """quantus.Complexity (entropy of |A| / sum |A|), per sample."""
    import quantus

    m = quantus.Complexity(abs=True, normalise=False, disable_warnings=True)
    return _call(m, attributions, None)


# The model-side metrics below draw from numpy's *global* RNG (FaithfulnessCorrelation's subsets,
# ROAD's imputation noise, MaxSensitivity's input noise) and draw per batch, so a sample's draws
# depend on its batch mates. For a reference comparable to ours they are called one sample at a
# time, each after ``np.random.seed(seed)``, inside ``numpy_seeded`` (the global state is restored
# on exit), with ``normalise=False, abs=False``.

@contextmanager
def numpy_seeded(seed: int) -> Iterator[None]:
    """numpy's global RNG seeded with ``seed``; its previous state restored on exit."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _per_sample(metric, model, images: np.ndarray, targets: np.ndarray, attributions: np.ndarray, seed: int,
                **kwargs) -> list:
    model.eval()
    out = []
    for i in range(len(images)):
        with numpy_seeded(seed):
            out.append(metric(model=model, x_batch=images[i:i + 1], y_batch=targets[i:i + 1],
                              a_batch=attributions[i:i + 1, None], channel_first=True, batch_size=1,
                              device="cpu", **kwargs))
    return out


def faithfulness_correlation(model, images: np.ndarray, targets: np.ndarray, attributions: np.ndarray, *,
                             subset_size: int, nr_runs: int, seed: int) -> np.ndarray:
    """quantus.FaithfulnessCorrelation (target logits, "black" = the image's minimum), per sample; its
    subsets are then ``RandomState(seed).choice(H * W, subset_size, replace=False)``, run after run."""
    import quantus
    from quantus.functions.perturb_func import batch_baseline_replacement_by_indices

    def replace_keeping_rng(**kwargs):
        # Quantus' baseline lookup also draws a "uniform" baseline from the global RNG on every call
        # (even for "black"), which shifts the later subset draws; keep the RNG where it was.
        state = np.random.get_state()
        try:
            return batch_baseline_replacement_by_indices(**kwargs)
        finally:
            np.random.set_state(state)

    m = quantus.FaithfulnessCorrelation(subset_size=subset_size, nr_runs=nr_runs, perturb_baseline="black",
                                        perturb_func=replace_keeping_rng, abs=False, normalise=False,
                                        return_aggregate=False, disable_warnings=True)
    return np.array([s[0] for s in _per_sample(m, model, images, targets, attributions, seed)], dtype=np.float64)


def road(model, images: np.ndarray, targets: np.ndarray, attributions: np.ndarray, *, percentages, noise: float,
         seed: int) -> np.ndarray:
    """quantus.ROAD (MoRF, noisy linear imputation): [B, P] 1 where the target is still predicted."""
    import quantus

    rows = []
    for i in range(len(images)):  # a fresh metric per sample: ROAD keeps its scores on the instance
        m = quantus.ROAD(percentages=list(percentages), noise=noise, abs=False, normalise=False, disable_warnings=True)
        _per_sample(m, model, images[i:i + 1], targets[i:i + 1], attributions[i:i + 1], seed)
        rows.append([m.evaluation_scores[p] for p in percentages])
    return np.asarray(rows, dtype=np.float64)


def max_sensitivity(model, method, images: np.ndarray, targets: np.ndarray, attributions: np.ndarray, *,
                    nr_samples: int, radius: float, seed: int) -> np.ndarray:
    """quantus.MaxSensitivity (uniform noise in [-radius, radius], Frobenius norms), re-explaining
    through ``method`` (anything with ``attribute(images, targets) -> [B, H, W]``), per sample."""
    import quantus
    import torch

    def explain(model, inputs, targets, **kwargs):
        x = torch.as_tensor(np.asarray(inputs), dtype=torch.float32)
        return method.attribute(x, torch.as_tensor(np.asarray(targets)).long()).numpy()[:, None]

    m = quantus.MaxSensitivity(nr_samples=nr_samples, lower_bound=radius, abs=False, normalise=False,
                               return_aggregate=False, disable_warnings=True)
    return np.array([s[0] for s in _per_sample(m, model, images, targets, attributions, seed, explain_func=explain)],
                    dtype=np.float64)
