import numpy as np
import torch
from scipy.stats import spearmanr

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.methods import METHODS
from specxai_bench.metrics import METRICS, ScoringBatch
from specxai_bench.metrics.randomisation import randomised_copy, spearman_rows
from specxai_bench.model.classifier import SpectrogramClassifier


def test_spearman_rows_matches_scipy_and_nan_for_constant():
    rng = np.random.default_rng(0)
    a, b = rng.random((3, 50)), rng.random((3, 50))
    b[1] = a[1] * 2 + 1  # monotone: correlation 1
    got = spearman_rows(a, b)
    for i in range(3):
        assert abs(got[i] - spearmanr(a[i], b[i]).statistic) < 1e-12
    assert np.isnan(spearman_rows(np.ones((1, 5)), a[:1, :5]))[0]


def test_randomised_copy_changes_every_layer_and_leaves_the_model_alone():
    torch.manual_seed(0)
    model = SpectrogramClassifier("resnet18", 3).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    clone = randomised_copy(model, seed=1)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    changed = [k for k, v in clone.state_dict().items() if k.endswith("weight") and not torch.equal(v, before[k])]
    assert len(changed) == sum(k.endswith("weight") for k in before)


def _batch(model, method_name):
    images = torch.rand(3, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    targets = torch.tensor([0, 1, 2])
    method = METHODS.get(method_name)(model)
    maps = method.attribute(images, targets)
    nan = np.full((3, 64), np.nan)
    return ScoringBatch(maps, images, targets, nan, np.full((3, 64, 3), np.nan), FrequencyAxis(0, 4000, 64), model,
                        method)


def test_model_free_maps_fail_and_model_maps_change():
    torch.manual_seed(0)
    model = SpectrogramClassifier("resnet18", 3).eval()
    metric = METRICS.get("model_parameter_randomisation")()
    energy = metric.score(_batch(model, "input_energy"))
    assert np.allclose(energy, 1.0)  # the map ignores the model: fails the sanity check
    saliency_like = metric.score(_batch(model, "cam"))
    assert np.all(saliency_like < 0.9)
    assert np.isnan(metric.score(_batch(model, "uniform"))).all()
