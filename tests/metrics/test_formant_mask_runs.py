"""formant_mask fills each (sample, column, formant)'s run of rows instead of comparing a [B, H, W, K]
array; the mask must be bit-identical to the direct definition |centre - F_k| <= w_k, also at the
rounding boundaries, for NaN / inf tracks, float32 tracks and any axis."""

from __future__ import annotations

import numpy as np
import pytest

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.metrics.masks import formant_half_width, formant_mask


def dense(formants, axis, which=(1, 2, 3), min_hz=100.0, rel=0.1):
    f = formants[..., [k - 1 for k in which]]
    with np.errstate(invalid="ignore"):
        w = formant_half_width(f, min_hz, rel)
        return (np.abs(axis.centres()[None, :, None, None] - f[:, None]) <= w[:, None]).any(-1)


@pytest.mark.parametrize("seed", range(4))
def test_runs_equal_the_dense_definition(seed):
    rng = np.random.default_rng(seed)
    for _ in range(150):
        n = int(rng.integers(1, 80))
        fmin = float(rng.choice([0.0, rng.uniform(0, 500)]))
        axis = FrequencyAxis(fmin, fmin + float(rng.uniform(50, 12000)), n)
        c = axis.centres()
        b, w = 3, int(rng.integers(1, 12))
        rel, min_hz = float(rng.choice([0.1, 0.5, 0.0, 0.05])), float(rng.choice([100.0, 0.0, 37.3]))
        f = rng.uniform(-200, axis.fmax * 1.2, (b, w, 3))
        i = rng.integers(0, n, (b, w, 3))  # formants placed so that a row centre sits on a band edge
        edges = np.stack([c[i] + min_hz, c[i] - min_hz, c[i] / (1 - rel), c[i] / (1 + rel), c[i]], -1)
        pick = np.take_along_axis(edges, rng.integers(0, 5, (b, w, 3, 1)), -1)[..., 0]
        if rng.random() < 0.5:
            pick = np.nextafter(pick, np.where(rng.random(pick.shape) < 0.5, -np.inf, np.inf))
        f = np.where(rng.random((b, w, 3)) < 0.4, pick, f)
        u = rng.random((b, w, 3))
        f[u < 0.05], f[(u > 0.05) & (u < 0.07)], f[(u > 0.07) & (u < 0.08)] = np.nan, np.inf, -np.inf
        if rng.random() < 0.3:
            f = f.astype(np.float32)
        for which in [(1,), (2,), (3,), (1, 2, 3), (1, 3)]:
            got, want = formant_mask(f, axis, which, min_hz, rel), dense(f, axis, which, min_hz, rel)
            assert got.shape == want.shape and got.dtype == bool
            np.testing.assert_array_equal(got, want)


def test_realistic_batch():
    rng = np.random.default_rng(0)
    f = np.stack([rng.uniform(300, 900, (16, 224)), rng.uniform(900, 2500, (16, 224)),
                  rng.uniform(2500, 3500, (16, 224))], -1)
    f[:, :20] = np.nan  # unvoiced columns
    axis = FrequencyAxis(0.0, 11025.0, 224)
    np.testing.assert_array_equal(formant_mask(f, axis), dense(f, axis))
