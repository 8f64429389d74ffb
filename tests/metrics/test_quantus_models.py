"""Our batched faithfulness correlation, ROAD, max-sensitivity and complexity equal Quantus' classes
(called one sample at a time after ``np.random.seed(seed)`` through metrics/quantus_adapters.py,
with ``normalise=False, abs=False``) given the same seed, hence the same subsets and noise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

pytest.importorskip("quantus")

from specxai_bench.metrics import quantus_adapters as q  # noqa: E402
from specxai_bench.metrics.complexity import ComplexityEntropy  # noqa: E402
from specxai_bench.metrics.faithfulness_correlation import FaithfulnessCorrelation  # noqa: E402
from specxai_bench.metrics.road import ROAD  # noqa: E402
from specxai_bench.metrics.robustness import MaxSensitivity  # noqa: E402


@pytest.fixture
def batch(mk):
    """TinyNet, its own gradient x input maps (tie-free), targets = its predictions (so ROAD's outcomes vary)."""
    model = mk.TinyNet().eval()
    b = mk.random_batch(b=3, size=32, seed=3, model=model)
    with torch.no_grad():
        targets = model(b.images).argmax(1)
    maps = b.method.attribute(b.images, targets)
    return replace(b, attributions=maps, targets=targets)


def _np(batch):
    return batch.images.numpy(), batch.targets.numpy(), batch.attributions.numpy()


def test_faithfulness_correlation_equals_quantus(batch):
    # chunk_size=1: one image per forward as Quantus does (batched float32 convolutions differ by ~1e-8
    # in the logits, which a correlation of small logit drops magnifies to ~1e-6)
    ours = FaithfulnessCorrelation(subset=0.05, nr_runs=12, seed=4, chunk_size=1)
    got = ours.score(batch)
    theirs = q.faithfulness_correlation(batch.model, *_np(batch), subset_size=ours.subset_size(32 * 32), nr_runs=12,
                                        seed=4)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, theirs, rtol=0, atol=1e-6)


def test_road_imputation_and_outcomes_equal_quantus(mk):
    from quantus.functions.perturb_func import noisy_linear_imputation

    # a model near its decision boundary (the sign of the low band's mean), so removals flip it
    model = mk.LowBandModel(rows=8)
    rng = np.random.default_rng(5)
    images = torch.as_tensor(rng.uniform(-0.5, 0.5, (4, 1, 32, 32)), dtype=torch.float32)
    images[:, :, :8] += torch.tensor([0.05, 0.1, 0.3, 0.5])[:, None, None, None]  # margins from thin to wide
    maps = np.zeros((4, 32, 32))
    maps[:, :8] = images[:, 0, :8].numpy()  # gradient x input of the class-0 logit (up to a factor) ...
    maps += 1e-3 * rng.standard_normal(maps.shape)  # ... made tie-free (Quantus' argsort is not stable)
    batch = mk.batch(maps, images=images, targets=torch.zeros(4, dtype=torch.long), model=model)
    ours = ROAD(percentages=(5, 20, 40, 60, 80, 95), noise=0.01, seed=2)
    images, targets, maps = _np(batch)
    for img, a in zip(images, maps):
        order = np.argsort(-a.reshape(-1), kind="stable")
        with q.numpy_seeded(2):
            theirs = [noisy_linear_imputation(img, order[:int(a.size * p / 100)], noise=0.01)[0]
                      for p in ours.percentages]
        np.testing.assert_allclose(ours.perturbed(img[0], a), np.stack(theirs), rtol=0, atol=1e-6)
    kept = q.road(batch.model, images, targets, maps, percentages=ours.percentages, noise=0.01, seed=2)
    assert 0 < kept.sum() < kept.size  # both outcomes occur
    np.testing.assert_allclose(ours.score(batch), kept.mean(1), rtol=0, atol=1e-6)


def test_max_sensitivity_equals_quantus(batch):
    ours = MaxSensitivity(nr_samples=4, radius=0.05, seed=1)
    got = ours.score(batch)
    theirs = q.max_sensitivity(batch.model, batch.method, *_np(batch), nr_samples=4, radius=0.05, seed=1)
    assert np.isfinite(got).all() and (got > 0).all()
    np.testing.assert_allclose(got, theirs, rtol=1e-6, atol=1e-6)


def test_complexity_equals_quantus(batch):
    maps = batch.attributions.numpy().astype(np.float64)
    np.testing.assert_allclose(ComplexityEntropy().score(batch), q.complexity(maps), rtol=0, atol=1e-6)


def test_adapters_leave_numpys_global_rng_alone(batch):
    np.random.seed(123)
    expected = np.random.RandomState(123).rand()
    q.max_sensitivity(batch.model, batch.method, *_np(batch), nr_samples=1, radius=0.05, seed=1)
    assert np.random.rand() == expected
