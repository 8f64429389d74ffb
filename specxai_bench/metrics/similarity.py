"""Similarity of two maps per sample, as Adebayo et al. (2018) compare saliency maps of a trained and a
randomised model: Spearman rank correlation of |A| and of A, SSIM, and the top-10 % intersection.

One rule for maps that carry no ranking: the original map constant -> NaN (nothing to compare);
both maps equal -> 1; else the randomised map constant -> 0 (the map no longer depends on the
weights: Grad-CAM's map on a destroyed model is often all zeros). docs/metrics.md, "Randomisation".
"""

from __future__ import annotations

import numpy as np

from .correlation import spearman_rows

SIMILARITIES = ("spearman_abs", "spearman", "ssim", "top10")
TOP_SHARE = 0.10


def similarity(kind: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[B] similarity of each map of ``a`` [B, H, W] (trained model) with the same row of ``b`` (randomised)."""
    if kind not in SIMILARITIES:
        raise ValueError(f"unknown similarity {kind!r}; known: {', '.join(SIMILARITIES)}")
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if kind != "spearman":
        a, b = np.abs(a), np.abs(b)
    fa, fb = a.reshape(len(a), -1), b.reshape(len(b), -1)
    if kind in ("spearman", "spearman_abs"):
        values = spearman_rows(fa, fb)
    elif kind == "ssim":
        values = ssim_rows(a, b)
    else:
        values = top_share_intersection(fa, fb, TOP_SHARE)
    flat_a, flat_b = np.ptp(fa, axis=1) == 0, np.ptp(fb, axis=1) == 0
    equal = (fa == fb).all(1)
    return np.where(flat_a, np.nan, np.where(equal, 1.0, np.where(flat_b, 0.0, values)))


def ssim_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SSIM (skimage, 7x7 window, or the largest odd window that fits) of each map scaled to max 1,
    with Quantus' data range (the span of the two maps together)."""
    from skimage.metrics import structural_similarity

    win = min(7, min(a.shape[1:]) - (1 - min(a.shape[1:]) % 2))
    out = np.full(len(a), np.nan)
    for i, (x, y) in enumerate(zip(a, b)):
        x, y = x / x.max() if x.max() > 0 else x, y / y.max() if y.max() > 0 else y
        span = float(max(x.max(), y.max()) - min(x.min(), y.min()))
        if win >= 3 and span > 0:
            out[i] = structural_similarity(x, y, win_size=win, data_range=span)
    return out


def top_share_intersection(a: np.ndarray, b: np.ndarray, share: float) -> np.ndarray:
    """Share of the top ``share`` of entries of each row of ``a`` [B, N] that are also in ``b``'s top
    (ties broken by position, so the result is deterministic)."""
    k = max(1, int(np.ceil(share * a.shape[1])))
    top_a = np.argsort(-a, axis=1, kind="stable")[:, :k]
    top_b = np.argsort(-b, axis=1, kind="stable")[:, :k]
    mask = np.zeros(a.shape, bool)
    np.put_along_axis(mask, top_a, True, axis=1)
    return np.take_along_axis(mask, top_b, axis=1).sum(1) / k
