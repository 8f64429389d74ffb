"""Quantus' implementations of our localisation and complexity metrics, called with the flags
that make them comparable: the reference the tests and benchmarks/metric_speed.py check against.

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
