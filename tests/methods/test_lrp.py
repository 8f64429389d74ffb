"""LRP through zennit: conservation, the rule each layer type gets, and a model left as it was found.

The contract tests (test_contract.py) already run every LRP variant on an untrained ResNet-18. Here
the batch norms get trained-looking statistics, so merging them into the convolutions (the
canonizer) changes weights and biases for real, and ResNet-50 brings torchvision's Bottleneck.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zennit.attribution import Gradient
from zennit.composites import SpecialFirstLayerMapComposite, layer_map_base
from zennit.rules import AlphaBeta, ZBox, ZPlus
from zennit.torchvision import ResNetCanonizer
from zennit.types import Linear

from specxai_bench.methods import METHODS
from specxai_bench.methods.lrp import LRPMethod

from .conftest import tiny_images, tiny_model
from .test_contract import HOOK_DICTS, _structure

LRP = ("lrp_epsilon", "lrp_epsilon_plus_flat", "lrp_alpha1beta0")
TARGETS = torch.tensor([0, 2])


def bias_free_model(seed: int = 0) -> nn.Module:
    """A SpectrogramClassifier (normalisation inside) whose backbone is a small ReLU network without biases."""
    model = tiny_model(seed=seed)
    torch.manual_seed(seed)
    model.backbone = nn.Sequential(
        nn.Conv2d(3, 6, 5, stride=2, padding=2, bias=False), nn.ReLU(),
        nn.Conv2d(6, 8, 3, padding=1, bias=False), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3, bias=False)).eval()
    return model


def trained_like(arch: str, seed: int = 0) -> nn.Module:
    """A tiny ResNet whose batch norms have non-trivial running statistics and affine parameters."""
    model = tiny_model(arch, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for bn in (m for m in model.modules() if isinstance(m, nn.BatchNorm2d)):
            n = bn.num_features
            bn.running_mean.copy_(0.2 * torch.randn(n, generator=gen))
            bn.running_var.copy_(0.5 + torch.rand(n, generator=gen))
            bn.weight.copy_(0.5 + torch.rand(n, generator=gen))
            bn.bias.copy_(0.1 * torch.randn(n, generator=gen))
    return model


def target_logits(model: nn.Module, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(images)[torch.arange(len(targets)), targets]


@pytest.mark.parametrize("name", LRP)
def test_conservation_on_bias_free_network(name: str) -> None:
    """Relevance sums to the target logit: every rule here is conservative when no bias absorbs any.
    Silent rows (exact zeros, the ZBox lower bound) included. Back-propagating the relevance through
    the normalisation instead of passing it would give 4x the logit."""
    model = bias_free_model()
    images = tiny_images(2, 32)
    images[:, :, :8] = 0.0
    method = METHODS.get(name)(model)
    relevance = method.attribute(images, TARGETS)
    logits = target_logits(model, images, TARGETS)
    assert logits.abs().min() > 1e-3  # a meaningful check, not 0 ~ 0
    torch.testing.assert_close(relevance.sum((1, 2)), logits, rtol=1e-4, atol=1e-6)
    assert method.last_delta.abs().max() <= 1e-4 * logits.abs().max()


def test_zplus_is_alpha1_beta0() -> None:
    """lrp_alpha1beta0 uses zennit's ZPlus (2 passes per layer): the same relevance as AlphaBeta(1, 0) (4 passes)."""
    model, images = trained_like("resnet18"), tiny_images(2, 32)
    method = METHODS.get("lrp_alpha1beta0")(model)
    low, high = torch.full((1, 3, 1, 1), -2.0), torch.full((1, 3, 1, 1), 2.0)
    x = images.expand(-1, 3, -1, -1).sub(0.5).div(0.25)
    seed = torch.nn.functional.one_hot(TARGETS, 3).float()
    maps = []
    for rule in (ZPlus(), AlphaBeta(alpha=1.0, beta=0.0)):
        composite = SpecialFirstLayerMapComposite(layer_map=layer_map_base() + [(Linear, rule)],
                                                  first_map=[(Linear, ZBox(low=low, high=high))],
                                                  canonizers=[ResNetCanonizer()])
        with Gradient(model.backbone, composite) as attributor:
            maps.append(attributor(x.clone().requires_grad_(), seed)[1])
    torch.testing.assert_close(maps[0], maps[1], rtol=1e-5, atol=1e-7)
    assert [type(r).__name__ for _, r in method.composite(low, high).layer_map[-1:]] == ["ZPlus"]


def test_alpha1beta0_is_positive_for_a_positive_logit() -> None:
    """alpha1-beta0 and ZBox hand on only positive contributions: a positive logit gives a map >= 0."""
    model = bias_free_model()
    with torch.no_grad():
        model.backbone[-1].weight.abs_()  # features are >= 0 after ReLU and pooling: every logit > 0
    images = tiny_images(2, 32)
    relevance = METHODS.get("lrp_alpha1beta0")(model).attribute(images, TARGETS)
    assert (target_logits(model, images, TARGETS) > 0).all()
    assert relevance.min() >= -1e-7 * relevance.abs().max()
    assert (relevance > 0).float().mean() > 0.5


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])  # BasicBlock, Bottleneck
@pytest.mark.parametrize("name", LRP)
def test_canonized_resnet_sum_is_reported_and_finite(name: str, arch: str) -> None:
    """With merged batch norms the biases absorb relevance: the sum is no longer the logit. It is
    reported (``last_delta``; printed here, ``pytest -s``) and finite."""
    model, images = trained_like(arch), tiny_images(2, 32)
    method = METHODS.get(name)(model)
    relevance = method.attribute(images, TARGETS)
    logits = target_logits(model, images, TARGETS)
    assert torch.isfinite(relevance).all() and relevance.abs().max() > 0
    # the canonized model's logits (batch norms merged) differ from the plain forward's by rounding only
    scale = logits.abs().max().item()
    torch.testing.assert_close(method.last_delta, relevance.sum((1, 2)) - logits, rtol=0, atol=1e-3 * scale)
    assert torch.isfinite(method.last_delta).all()
    print(f"{name} {arch}: sum(relevance) {relevance.sum((1, 2)).tolist()} vs logit {logits.tolist()}")


def _hooks_left(model: nn.Module) -> list[str]:
    return [f"{name}.{hooks}" for name, m in model.named_modules() for hooks in HOOK_DICTS if getattr(m, hooks, {})]


@pytest.mark.parametrize("name", LRP)
def test_model_restored_after_call_and_after_failure(name: str) -> None:
    """Merged batch norms, the blocks' Sum modules and forwards, and all rule hooks are undone on exit,
    also when the call fails inside the ``with`` block (here: a target beyond the classes)."""
    model, images = trained_like("resnet50"), tiny_images(2, 32)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    structure = _structure(model)
    logits = target_logits(model, images, TARGETS)
    method = METHODS.get(name)(model)
    method.attribute(images, TARGETS)
    with pytest.raises(RuntimeError):
        method.attribute(images, torch.tensor([0, 7]))
    assert _structure(model) == structure
    assert not _hooks_left(model)
    after = model.state_dict()
    assert after.keys() == state.keys() and all(torch.equal(after[k], v) for k, v in state.items())
    assert all(p.grad is None for p in model.parameters())
    torch.testing.assert_close(target_logits(model, images, TARGETS), logits, rtol=0, atol=0)


# The epsilon rule's factor z / (z + epsilon) swings where a pre-activation z is within float32 rounding
# (~1e-5 for sums of terms ~1) of zero, and a batch of another size rounds z differently (other conv
# kernels): the map then moves by up to ~3e-4 of its maximum (measured: ResNet-50, random batch norms).
# z+ / alpha-beta / ZBox / Flat denominators are sums of same-signed terms and agree to ~1e-6.
BATCH_TOLERANCE = {"lrp_epsilon": 1e-3}


@pytest.mark.parametrize("name", LRP)
def test_batched_equals_per_sample_on_bottleneck(name: str) -> None:
    model, images = trained_like("resnet50"), tiny_images(3, 32)
    targets = torch.tensor([0, 2, 1])
    method = METHODS.get(name)(model)
    batched = method.attribute(images, targets)
    alone = torch.cat([method.attribute(images[i:i + 1], targets[i:i + 1]) for i in range(3)])
    atol = BATCH_TOLERANCE.get(name, 1e-5) * batched.abs().max().item()
    torch.testing.assert_close(batched, alone, rtol=1e-4, atol=atol)


# The rule each layer type gets (docs/methods.md has this table): module -> zennit rule class.
RULES = {
    "lrp_epsilon": {"conv1": "ZBox", "layer1.0.conv2": "Epsilon", "layer4.1.conv1": "Epsilon", "fc": "Epsilon"},
    "lrp_epsilon_plus_flat": {"conv1": "Flat", "layer1.0.conv2": "ZPlus", "layer4.1.conv1": "ZPlus", "fc": "Epsilon"},
    "lrp_alpha1beta0": {"conv1": "ZBox", "layer1.0.conv2": "ZPlus", "layer4.1.conv1": "ZPlus", "fc": "ZPlus"},
}
SHARED_RULES = {"bn1": "Pass", "relu": "Pass", "layer1.0.canonizer_sum": "Norm", "avgpool": "Norm", "maxpool": None}


@pytest.mark.parametrize("name", LRP)
def test_rules_per_layer_type(name: str) -> None:
    model = tiny_model()
    method: LRPMethod = METHODS.get(name)(model)
    low, high = torch.full((1, 3, 1, 1), -2.0), torch.full((1, 3, 1, 1), 2.0)
    composite = method.composite(low, high)
    with composite.context(model.backbone):
        modules = dict(model.backbone.named_modules())
        found = {}
        for module_name in {**RULES[name], **SHARED_RULES}:
            hooks = [h.__self__ for h in modules[module_name]._forward_hooks.values() if hasattr(h, "__self__")]
            found[module_name] = type(hooks[0]).__name__ if hooks else None
    assert found == {**RULES[name], **SHARED_RULES}
    assert not _hooks_left(model)


def test_zbox_bounds_are_the_image_range_through_the_normalisation() -> None:
    model = tiny_model()
    seen = {}

    class Spy(LRPMethod):
        name = "lrp_spy"  # not registered

        def composite(self, low: torch.Tensor, high: torch.Tensor):
            seen.update(low=low, high=high)
            return METHODS.get("lrp_epsilon")(model).composite(low, high)

    Spy(model).attribute(tiny_images(1, 32), torch.tensor([1]))
    assert torch.equal(seen["low"], torch.full((1, 3, 1, 1), -2.0))
    assert torch.equal(seen["high"], torch.full((1, 3, 1, 1), 2.0))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", LRP)
def test_cuda_matches_cpu(name: str) -> None:
    model, images = trained_like("resnet18"), tiny_images(2, 32)
    on_cpu = METHODS.get(name)(model).attribute(images, TARGETS)
    on_gpu = METHODS.get(name)(model.cuda()).attribute(images.cuda(), TARGETS.cuda())
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), on_cpu, rtol=1e-3, atol=1e-4 * on_cpu.abs().max().item())
