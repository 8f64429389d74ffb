"""Faithfulness correlation, ROAD, max-sensitivity and complexity: direction on constructed cases,
determinism, batch independence, failures reported cleanly. (Agreement with Quantus:
test_quantus_models.py; shape, finiteness and the all-zero NaN rule: test_contract.py.)"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from specxai_bench.methods.base import AttributionError
from specxai_bench.metrics import METRICS
from specxai_bench.metrics.complexity import ComplexityEntropy
from specxai_bench.metrics.faithfulness_correlation import FaithfulnessCorrelation
from specxai_bench.metrics.road import ROAD
from specxai_bench.metrics.robustness import MaxSensitivity
from specxai_bench.runner import _score

MODEL_METRICS = ("faithfulness_correlation", "road", "max_sensitivity")


class Linear(nn.Module):
    """logit_0 = <w, x> = -logit_1 with a fixed random w: its gradient x input is exactly w * x."""

    def __init__(self, size: int = 32) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(1, 1, size, size, generator=torch.Generator().manual_seed(0)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = (x * self.w).sum((1, 2, 3))
        return torch.stack([s, -s], 1)


class BrightLowBand(nn.Module):
    """Class 0 iff the mean of rows 0-7 is above 0.5."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = 20.0 * (x[:, 0, :8].mean((1, 2)) - 0.5)
        return torch.stack([s, -s], 1)


class Fixed:
    """A duck-typed method: maps = fn(images)."""

    name = "fixed"

    def __init__(self, fn) -> None:
        self.fn = fn

    def attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.fn(images)[:, 0]


class Broken:
    name = "broken"

    def attribute(self, images, targets):
        raise RuntimeError("boom")


def test_ids_encode_parameters():
    assert FaithfulnessCorrelation().id == "faithfulness_correlation@S2pct,R32,min,seed0"
    assert FaithfulnessCorrelation(subset=0.005, nr_runs=100, baseline="mean", seed=3).id == \
        "faithfulness_correlation@S0.5pct,R100,mean,seed3"
    assert ROAD().id == "road@MoRF,p10-30-50-70-90,n0.01,seed0"
    assert ROAD(percentages=(5, 50), noise=0.0, seed=1).id == "road@MoRF,p5-50,n0,seed1"
    assert MaxSensitivity().id == "max_sensitivity@N8,r0.025,seed0"
    assert ComplexityEntropy().id == "complexity_entropy"


@pytest.mark.parametrize("bad", [dict(subset=0.0), dict(subset=1.0), dict(nr_runs=1), dict(baseline="black")])
def test_faithfulness_correlation_rejects_bad_options(bad):
    with pytest.raises(ValueError):
        FaithfulnessCorrelation(**bad)


@pytest.mark.parametrize("bad", [dict(percentages=()), dict(percentages=(0, 50)), dict(percentages=(100,)),
                                 dict(noise=-1.0)])
def test_road_rejects_bad_options(bad):
    with pytest.raises(ValueError):
        ROAD(**bad)


def test_max_sensitivity_rejects_bad_options():
    with pytest.raises(ValueError):
        MaxSensitivity(nr_samples=0)
    with pytest.raises(ValueError):
        MaxSensitivity(radius=0.0)
    with pytest.raises(TypeError):
        MaxSensitivity(n_samples=4)  # a typo fails at once


@pytest.mark.parametrize("name", MODEL_METRICS)
def test_scores_do_not_depend_on_the_batch(name, mk):
    batch = mk.random_batch(b=3, size=32, model=mk.TinyNet())
    metric = METRICS.get(name)()
    full = metric.score(batch)
    one = metric.score(replace(batch, attributions=batch.attributions[1:2], images=batch.images[1:2],
                               targets=batch.targets[1:2]))
    np.testing.assert_allclose(one, full[1:2], rtol=1e-4, atol=1e-5)  # batched float32 forwards round differently


@pytest.mark.parametrize("name", MODEL_METRICS)
def test_seed_changes_the_draws_and_the_same_seed_repeats(name, mk):
    batch = mk.random_batch(b=3, size=32, model=mk.TinyNet())
    a, b = METRICS.get(name)(seed=0), METRICS.get(name)(seed=0)
    np.testing.assert_array_equal(a.score(batch), b.score(batch))
    if name != "road":  # ROAD's seed only moves the tiny imputation noise; its 0/1 outcomes may not change
        assert not np.array_equal(a.score(batch), METRICS.get(name)(seed=1).score(batch))


@pytest.mark.parametrize("name", MODEL_METRICS)
def test_without_the_model_the_metric_raises(name, mk):
    batch = mk.random_batch(b=2, size=32)
    assert batch.model is None
    with pytest.raises(ValueError, match="needs the model"):
        METRICS.get(name)().score(batch)


def test_faithfulness_correlation_prefers_the_true_gradient_x_input(mk):
    model = Linear()
    images = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(2))
    targets = torch.zeros(4, dtype=torch.long)
    true = (model.w * images)[:, 0].detach()
    metric = FaithfulnessCorrelation()
    faithful = metric.score(mk.batch(true, images=images, targets=targets, model=model))
    random = metric.score(mk.batch(torch.randn(4, 32, 32, generator=torch.Generator().manual_seed(3)),
                                   images=images, targets=targets, model=model))
    assert (faithful > 0.9).all() and (np.abs(random) < 0.6).all() and (faithful > random).all()
    # the exactly faithful map for a linear model and the "min" baseline: w * (x - min x) -> 1
    exact = (model.w * (images - images.amin((1, 2, 3), keepdim=True)))[:, 0].detach()
    np.testing.assert_allclose(metric.score(mk.batch(exact, images=images, targets=targets, model=model)), 1.0,
                               atol=1e-5)


def test_road_prefers_the_map_on_the_band_the_model_uses(mk):
    gen = torch.Generator().manual_seed(4)
    images = 0.2 * torch.rand(3, 1, 32, 32, generator=gen)
    images[:, :, :8] += 0.7  # a bright low band: class 0
    targets = torch.zeros(3, dtype=torch.long)
    model = BrightLowBand()
    on_band = torch.zeros(3, 32, 32)
    on_band[:, :8] = 1.0
    on_band += 1e-3 * torch.rand(3, 32, 32, generator=gen)
    random = torch.rand(3, 32, 32, generator=gen)
    metric = ROAD()
    good = metric.score(mk.batch(on_band, images=images, targets=targets, model=model))
    bad = metric.score(mk.batch(random, images=images, targets=targets, model=model))
    assert (good < bad).all(), (good, bad)
    reverse = metric.score(mk.batch(-on_band, images=images, targets=targets, model=model))
    assert (reverse > good).all()  # the band removed last keeps the class longest


def test_max_sensitivity_is_the_noise_norm_for_the_identity_map_and_zero_for_a_constant_one(mk):
    images = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(5)) + 0.5
    batch = mk.batch(images[:, 0], images=images, model=Linear())
    metric = MaxSensitivity(nr_samples=5, radius=0.05, seed=2)
    identity = metric.score(replace(batch, method=Fixed(lambda x: x)))
    noise = metric.noise((32, 32)).reshape(5, -1)
    expected = np.linalg.norm(noise, axis=1).max() / images.flatten(1).double().norm(dim=1).numpy()
    np.testing.assert_allclose(identity, expected, rtol=1e-5)
    w = Linear().w.detach()
    saliency = replace(batch, attributions=w.expand(2, 1, 32, 32)[:, 0],
                       method=Fixed(lambda x: w.expand(len(x), -1, -1, -1)))
    np.testing.assert_array_equal(metric.score(saliency), 0.0)  # a linear model's gradient ignores the noise


def test_max_sensitivity_reports_a_failing_method(mk):
    batch = replace(mk.random_batch(b=2, size=32, model=mk.TinyNet()), method=Broken())
    metric = MaxSensitivity(nr_samples=2)
    with pytest.raises(AttributionError, match=r"max_sensitivity: method 'broken' failed .*RuntimeError: boom"):
        metric.score(batch)
    values, errors = _score(metric, batch, 2, 0)  # the runner records it per sample and goes on
    assert np.isnan(values).all() and all("AttributionError" in e and "boom" in e for e in errors)


def test_max_sensitivity_nan_for_a_non_finite_re_explanation(mk):
    batch = mk.random_batch(b=2, size=32, model=mk.TinyNet())
    nan_for_first = Fixed(lambda x: torch.where(torch.arange(len(x))[:, None, None, None] == 0, torch.nan, x))
    out = MaxSensitivity(nr_samples=2).score(replace(batch, method=nan_for_first))
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_complexity_bounds(mk):
    n = 16 * 16
    one = torch.zeros(2, 16, 16)
    one[:, 3, 4] = -2.0  # |A| is used
    uniform = torch.full((2, 16, 16), 0.3)
    np.testing.assert_allclose(ComplexityEntropy().score(mk.batch(one)), 0.0, atol=1e-12)
    np.testing.assert_allclose(ComplexityEntropy().score(mk.batch(uniform)), math.log(n), rtol=1e-12)
