"""DeepLIFT on torchvision ResNets: why the canonizer exists, that it is exact and undone."""

from __future__ import annotations

import captum.attr as ca
import pytest
import torch

from specxai_bench.methods import METHODS
from specxai_bench.methods.deeplift import deeplift_canonized

from .conftest import tiny_images, tiny_model

TARGETS = torch.tensor([0, 2])


@pytest.mark.filterwarnings("ignore:Setting forward, backward hooks")
@pytest.mark.filterwarnings("ignore:Input Tensor 0 did not already require gradients")
def test_captum_alone_fails_on_reused_relu() -> None:
    model, images = tiny_model(), tiny_images(2, 32)
    with pytest.raises(RuntimeError, match="used more than once"):
        ca.DeepLift(model).attribute(images, baselines=torch.zeros_like(images), target=TARGETS)


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])  # BasicBlock, Bottleneck
def test_canonized_model_is_the_same_function_and_is_restored(arch: str) -> None:
    model, images = tiny_model(arch), tiny_images(2, 32)
    before = repr(model), [id(m) for m in model.modules()]
    with torch.no_grad():
        expected = model(images)
        with deeplift_canonized(model):
            torch.testing.assert_close(model(images), expected, rtol=1e-5, atol=1e-5)
        with pytest.raises(KeyError), deeplift_canonized(model):
            raise KeyError("a failure inside")
    assert (repr(model), [id(m) for m in model.modules()]) == before
    assert all("forward" not in vars(m) for m in model.modules())


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_sums_to_delta_with_silent_regions(arch: str) -> None:
    """Summation-to-delta holds through the max pool too; silent rows (exact zeros) included."""
    model, images = tiny_model(arch), tiny_images(2, 32)
    images[:, :, :12] = 0.0  # clipped at -80 dB, as real spectrograms are
    method = METHODS.get("deeplift")(model)
    attributions = method.attribute(images, TARGETS)
    with torch.no_grad():
        gap = (model(images) - model(torch.zeros_like(images)))[torch.arange(2), TARGETS]
    torch.testing.assert_close(attributions.sum((1, 2)), gap, rtol=1e-4, atol=1e-5)
    assert method.last_delta.abs().max() < 1e-4
    alone = torch.cat([method.attribute(images[i:i + 1], TARGETS[i:i + 1]) for i in range(2)])
    torch.testing.assert_close(alone, attributions, rtol=1e-4, atol=1e-7)
