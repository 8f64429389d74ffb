"""Model parameter randomisation as Adebayo et al. (2018) define it: cascading and independent stages,
four similarities, the constant-map rule, the per-batch cache, and agreement with Quantus' MPRT."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.methods import METHODS
from specxai_bench.metrics import METRICS, ScoringBatch
from specxai_bench.metrics.randomisation import ModelRandomisation, is_flag_cell, parse_id, randomised, stages
from specxai_bench.model.classifier import SpectrogramClassifier

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Small(nn.Module):
    """Convolutions and a linear layer, no batch norm: every stage is one layer, as in Quantus."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(3)
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def batch_for(model: nn.Module, method_name: str, b: int = 4, size: int = 32) -> ScoringBatch:
    images = torch.rand(b, 1, size, size, generator=torch.Generator().manual_seed(0))
    targets = torch.arange(b) % 3
    method = METHODS.create(method_name, model)
    nan = np.full((b, size), np.nan)
    return ScoringBatch(method.attribute(images, targets), images, targets, nan, np.full((b, size, 3), np.nan),
                        FrequencyAxis(0, 4000, size), model, method)


def score(batch: ScoringBatch, **options) -> np.ndarray:
    return ModelRandomisation(**options).score(batch)


def test_stages_and_what_each_mode_randomises():
    model = SpectrogramClassifier("resnet18", 3).eval()
    assert [n for n, _ in stages(model)] == ["fc", "layer4", "layer3", "layer2", "layer1", "conv1"]
    with torch.no_grad():  # as after training: batch norm no longer at its initial scale 1
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.fill_(2.0)
    before = {k: v.clone() for k, v in model.state_dict().items()}

    def changed(clone: nn.Module) -> set[str]:
        return {k.split(".")[1] for k, v in clone.state_dict().items()
                if k.endswith("weight") and not torch.equal(v, before[k])}

    assert changed(randomised(model, "cascade", "layer3", seed=1)) == {"fc", "layer4", "layer3"}
    assert changed(randomised(model, "independent", "layer3", seed=1)) == {"layer3"}
    assert changed(randomised(model, "cascade", "all", seed=1)) == {"fc", "layer4", "layer3", "layer2", "layer1",
                                                                      "conv1", "bn1"}
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # the model is untouched
    a, b = randomised(model, "cascade", "fc", 1), randomised(model, "cascade", "fc", 2)
    assert not torch.equal(a.backbone.fc.weight, b.backbone.fc.weight)  # seeds differ
    assert torch.equal(a.backbone.fc.weight, randomised(model, "independent", "fc", 1).backbone.fc.weight)
    with pytest.raises(ValueError, match="no stage 'layer9'"):
        randomised(model, "cascade", "layer9", 0)


def test_cascade_falls_at_the_first_step_when_the_top_layer_is_already_random():
    """An untrained network: its logits layer is random, so drawing it again changes every map that
    depends on the weights at once (the first point of the cascade), while a model-free map stays 1."""
    model = SpectrogramClassifier("resnet18", 3).eval()
    for method in ("saliency", "gradcam@layer=layer3"):
        fc = score(batch_for(model, method, size=64), upto="fc")
        assert np.nanmean(fc) < 0.8, (method, fc)
    assert np.allclose(score(batch_for(model, "input_energy"), upto="fc"), 1.0)


def test_a_constant_randomised_map_scores_0_and_a_constant_original_nan():
    from specxai_bench.metrics.similarity import similarity

    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 8, 8))
    b = rng.standard_normal((3, 8, 8))
    b[0] = 0.0  # Grad-CAM on a destroyed model: all zero
    b[2] = a[2]  # unchanged
    for kind in ("spearman_abs", "spearman", "ssim", "top10"):
        out = similarity(kind, a, b)
        assert out[0] == 0.0 and out[2] == 1.0 and np.isfinite(out[1]), (kind, out)
        flat = similarity(kind, np.zeros((1, 8, 8)), b[1:2])
        assert np.isnan(flat).all()  # the original map says nothing: not scored
    # uniform: constant on every model, so not scored (NaN)
    assert np.isnan(score(batch_for(Small(), "uniform"))).all()


def test_similarities_match_their_libraries():
    from scipy.stats import spearmanr
    from skimage.metrics import structural_similarity

    from specxai_bench.metrics.similarity import similarity

    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 16, 16)), rng.standard_normal((2, 16, 16))
    b[1] = a[1] + 0.3 * b[1]
    got = {k: similarity(k, a, b) for k in ("spearman_abs", "spearman", "ssim", "top10")}
    for i in range(2):
        assert got["spearman_abs"][i] == pytest.approx(spearmanr(np.abs(a[i]).ravel(), np.abs(b[i]).ravel())[0])
        assert got["spearman"][i] == pytest.approx(spearmanr(a[i].ravel(), b[i].ravel())[0])
        x, y = np.abs(a[i]) / np.abs(a[i]).max(), np.abs(b[i]) / np.abs(b[i]).max()
        span = max(x.max(), y.max()) - min(x.min(), y.min())
        assert got["ssim"][i] == pytest.approx(structural_similarity(x, y, win_size=7, data_range=span))
        top = lambda m: set(np.argsort(-np.abs(m).ravel(), kind="stable")[:26])
        assert got["top10"][i] == pytest.approx(len(top(a[i]) & top(b[i])) / 26)
    assert got["top10"][1] > got["top10"][0]


@pytest.mark.parametrize("order,mode", [("top_down", "cascade"), ("independent", "independent")])
def test_agrees_with_quantus_mprt(order, mode):
    """Quantus' MPRT re-seeds (seed + 1) and calls ``reset_parameters`` per layer, top first; on a network
    whose stages are single layers that is our definition, so the per-layer scores coincide."""
    import quantus

    model = Small().eval()
    method = METHODS.get("input_x_gradient")(model)
    b = batch_for(model, "input_x_gradient", b=5, size=12)

    def explain(model, inputs, targets, **kwargs):
        return method.with_model(model).attribute(torch.as_tensor(inputs), torch.as_tensor(targets)).numpy()

    seed = 7
    mprt = quantus.MPRT(layer_order=order, seed=seed - 1, abs=True, normalise=True, disable_warnings=True)
    theirs = mprt(model=model, x_batch=b.images.numpy(), y_batch=b.targets.numpy(),
                  a_batch=b.attributions.numpy()[:, None], explain_func=explain, batch_size=5, device="cpu")
    assert [n for n, _ in stages(model)] == ["net.6", "net.2", "net.0"]
    for layer in ("net.6", "net.2", "net.0"):
        ours = score(b, mode=mode, upto=layer, similarity="spearman_abs", seed=seed)
        np.testing.assert_allclose(ours, theirs[layer], atol=1e-9, err_msg=layer)
        assert np.all(ours < 0.999)  # the maps did change: the comparison is not vacuous


def test_ssim_agrees_with_quantus_on_max_normalised_maps():
    """Quantus' MPRT flattens maps before its similarity (SSIM of 1-D rows, and its batched SSIM returns a
    list MPRT cannot take), so SSIM is checked map by map against quantus.similarity_func.ssim."""
    import quantus

    from specxai_bench.metrics.similarity import similarity

    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 20, 20)), rng.standard_normal((3, 20, 20))
    ours = similarity("ssim", a, b)
    for i in range(3):
        x, y = np.abs(a[i]) / np.abs(a[i]).max(), np.abs(b[i]) / np.abs(b[i]).max()
        assert ours[i] == pytest.approx(quantus.similarity_func.ssim(x, y), abs=1e-12)


def test_similarities_reuse_one_attribution_per_batch(monkeypatch):
    model = Small().eval()
    b = batch_for(model, "saliency")
    calls = []
    original = type(b.method).attribute
    monkeypatch.setattr(type(b.method), "attribute", lambda self, x, t: calls.append(1) or original(self, x, t))
    for sim in ("spearman_abs", "spearman", "ssim", "top10"):
        score(b, upto="net.2", similarity=sim, seed=1)
    assert len(calls) == 1
    score(b, upto="net.2", similarity="ssim", seed=2)  # another seed: another randomised model
    assert len(calls) == 2


def test_ids_options_and_the_first_versions_rows():
    m = METRICS.create("model_randomisation@mode=independent,upto=layer2,similarity=ssim,seed=2")
    assert m.id == "model_randomisation@independent,layer2,ssim,seed2"
    assert parse_id(m.id) == {"mode": "independent", "upto": "layer2", "similarity": "ssim", "seed": 2}
    assert METRICS.create("model_randomisation").id == "model_randomisation@cascade,all,spearman_abs,seed0"
    assert is_flag_cell("model_randomisation@cascade,all,spearman_abs,seed1")
    assert not is_flag_cell("model_randomisation@cascade,layer4,spearman_abs,seed0")
    assert not is_flag_cell("model_randomisation@cascade,all,ssim,seed0")
    # v1 rows keep their meaning: the registry reads their direction and role through the alias
    old = "model_parameter_randomisation@full,spearman,seed0"
    assert METRICS.get("model_parameter_randomisation") is ModelRandomisation
    assert parse_id(old) == {"mode": "full", "upto": "all", "similarity": "spearman", "seed": 0} and is_flag_cell(old)
    assert METRICS.create("model_parameter_randomisation").id == "model_randomisation@cascade,all,spearman,seed0"
    for bad in ("mode=sideways", "similarity=hog", "upto=a b"):
        with pytest.raises(Exception, match="must be"):
            METRICS.create(f"model_randomisation@{bad}")
