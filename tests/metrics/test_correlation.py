import numpy as np
from scipy.stats import spearmanr

from specxai_bench.metrics.correlation import pearson_rows, spearman_rows


def test_row_correlations_match_numpy_and_scipy_and_give_nan_for_constant_rows():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 30)), rng.normal(size=(4, 30))
    b[1] = 2 * a[1] + 1  # exactly linear: 1
    b[2, :] = 0.0  # constant: NaN
    want_p = [np.corrcoef(x, y)[0, 1] if y.std() > 0 else np.nan for x, y in zip(a, b)]
    want_s = [spearmanr(x, y).statistic if y.std() > 0 else np.nan for x, y in zip(a, b)]
    np.testing.assert_allclose(pearson_rows(a, b), want_p, atol=1e-12)
    np.testing.assert_allclose(spearman_rows(a, np.exp(b)), want_s, atol=1e-12)  # ranks: monotone maps keep it
    assert np.isnan(pearson_rows(a, b)[2]) and np.isnan(spearman_rows(a, b)[2])
