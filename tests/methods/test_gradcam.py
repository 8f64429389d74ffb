"""Our Grad-CAM (gradient only back to the target layer) against pytorch-grad-cam's, within 1e-5."""

from __future__ import annotations

import pytest
import torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from specxai_bench.methods import METHODS
from specxai_bench.model.classifier import SpectrogramClassifier

from .conftest import tiny_images, tiny_model


def test_features_and_logits_equal_forward() -> None:
    from specxai_bench.methods.adapter import ModelAdapter

    model, images = tiny_model(), tiny_images(2, 64)
    for layer in ("layer2", "layer3", "layer4", "layer4.1"):
        features, logits = ModelAdapter(model).features_and_logits(images, layer, grad=True)
        assert features.requires_grad and features.ndim == 4
        torch.testing.assert_close(logits, model(images))


def test_layers_below_the_read_layer_record_no_graph() -> None:
    """Grad-CAM back-propagates from the logits to the layer only: recording the layers below it cost
    Grad-CAM 0.72x a forward pass instead of 0.91x (benchmarks/pipeline_speed.py)."""
    from specxai_bench.methods.adapter import ModelAdapter

    model, images = tiny_model(), tiny_images(2, 64)
    below: list[bool] = []
    handle = model.backbone.layer1.register_forward_hook(lambda m, i, out: below.append(out.requires_grad))
    try:
        features, logits = ModelAdapter(model).features_and_logits(images, "layer4", grad=True)
    finally:
        handle.remove()
    assert below == [False] and logits.requires_grad
    assert torch.autograd.grad(logits.sum(), features)[0].shape == features.shape


def test_features_and_logits_restore_the_callers_grad_mode() -> None:
    from specxai_bench.methods.adapter import ModelAdapter

    model, images = tiny_model(), tiny_images(1, 64)
    for mode in (True, False):
        with torch.set_grad_enabled(mode):
            ModelAdapter(model).features_and_logits(images, "layer4", grad=True)
            assert torch.is_grad_enabled() is mode


@pytest.mark.parametrize("layer", ["layer4", "layer3", "layer4.0"])
@pytest.mark.parametrize("px", [64, 96])
def test_equals_pytorch_grad_cam(layer: str, px: int) -> None:
    model, images = tiny_model(), tiny_images(3, px)
    targets = torch.tensor([0, 1, 2])
    ours = METHODS.get("gradcam")(model, layer=layer).attribute(images, targets)
    with GradCAM(model=model, target_layers=[model.backbone.get_submodule(layer)]) as reference:
        expected = reference(input_tensor=images, targets=[ClassifierOutputTarget(int(t)) for t in targets])
    torch.testing.assert_close(ours, torch.from_numpy(expected), rtol=0, atol=1e-5)


def test_unknown_layer_is_a_clear_error() -> None:
    from specxai_bench.errors import ConfigError

    with pytest.raises(ConfigError, match="no layer 'layer9'.*layer4"):
        METHODS.get("gradcam")(SpectrogramClassifier("resnet18", 2), layer="layer9")
