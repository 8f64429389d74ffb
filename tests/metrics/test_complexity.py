"""Sparseness (Gini index of |A|) on maps worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from specxai_bench.metrics.complexity import Sparseness, gini


def test_gini_by_hand():
    # sorted [0, 0, 1, 1], weights 2i - n - 1 = -3, -1, 1, 3: (1 + 3) / (4 * 2) = 0.5
    assert gini(np.array([[1.0, 0.0, 1.0, 0.0]]))[0] == pytest.approx(0.5)
    assert gini(np.array([[2.0, 2.0, 2.0, 2.0]]))[0] == pytest.approx(0.0)
    assert gini(np.array([[0.0, 0.0, 0.0, 7.0]]))[0] == pytest.approx(3 / 4)  # (n - 1) / n


def test_sparseness_uses_magnitudes_per_sample(mk):
    maps = np.zeros((3, 2, 2))
    maps[0] = [[-1.0, 0.0], [1.0, 0.0]]  # |A| = [1, 0, 1, 0]: 0.5 whatever the signs
    maps[1] = [[0.0, 0.0], [0.0, -5.0]]  # one pixel: 3/4
    out = Sparseness().score(mk.batch(maps))
    np.testing.assert_allclose(out[:2], [0.5, 0.75])
    assert np.isnan(out[2])  # all zero: NaN, not 0
