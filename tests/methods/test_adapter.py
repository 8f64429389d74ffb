"""Methods on any torch CNN through the model adapter: plain torchvision ResNets and a user's module."""

from __future__ import annotations

import pytest
import torch
import torchvision
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from torch import nn

from specxai_bench.errors import ConfigError
from specxai_bench.methods import METHODS
from specxai_bench.methods.adapter import ModelAdapter


def plain_resnet(arch: str, classes: int = 3, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return getattr(torchvision.models, arch)(weights=None, num_classes=classes).eval()


class UserCNN(nn.Module):
    """A user's own network: convolutions in ``body``, global average pooling, a linear ``head``."""

    def __init__(self, classes: int = 4, extra_layer: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1),
                                  nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, classes)) if extra_layer \
            else nn.Linear(16, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.body(x)).flatten(1))


def images(batch: int, channels: int, px: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(batch, channels, px, px, generator=torch.Generator().manual_seed(seed))


def test_gradcam_on_plain_torchvision_resnet50_equals_pytorch_grad_cam() -> None:
    model, x = plain_resnet("resnet50"), images(2, 3, 64)
    targets = torch.tensor([0, 2])
    ours = METHODS.get("gradcam")(model, layer="layer4").attribute(x, targets)
    with GradCAM(model=model, target_layers=[model.layer4]) as reference:
        expected = reference(input_tensor=x, targets=[ClassifierOutputTarget(int(t)) for t in targets])
    assert ours.shape == (2, 64, 64)
    torch.testing.assert_close(ours, torch.from_numpy(expected), rtol=0, atol=1e-5)


def test_cam_on_a_users_module_by_naming_its_head() -> None:
    torch.manual_seed(0)
    model, x = UserCNN().eval(), images(3, 1, 32)
    targets = torch.tensor([0, 3, 1])
    method = METHODS.get("cam")(model, layer="body", classifier="head")
    maps = method.attribute(x, targets)
    features = model.body(x)
    expected = torch.einsum("bc,bchw->bhw", model.head.weight[targets], features)
    assert method.native_resolution(32) == (16, 16)
    torch.testing.assert_close(maps, torch.nn.functional.interpolate(expected[:, None], size=(32, 32),
                                                                     mode="bilinear", align_corners=False)[:, 0])
    assert method.options() == {"layer": "body", "classifier": "head"}


def test_cam_refuses_a_head_that_is_not_pooling_then_linear() -> None:
    torch.manual_seed(0)
    with pytest.raises(ConfigError, match="cam is defined only at the layer before global average pooling"):
        METHODS.get("cam")(UserCNN(extra_layer=True).eval(), layer="body", classifier="head.2")
    with pytest.raises(ConfigError, match="use gradcam@layer=layer3"):
        METHODS.get("cam")(plain_resnet("resnet18"), layer="layer3")
    with pytest.raises(ConfigError, match="not the nn.Linear"):
        METHODS.get("cam")(UserCNN().eval(), layer="body", classifier="pool")


def test_gradcam_on_a_users_module_and_unknown_layers() -> None:
    torch.manual_seed(0)
    model = UserCNN().eval()
    maps = METHODS.get("gradcam")(model, layer="body.2").attribute(images(2, 1, 32), torch.tensor([1, 2]))
    assert maps.shape == (2, 32, 32) and float(maps.max()) <= 1.0
    with pytest.raises(ConfigError, match="no layer 'layer4'; its top-level layers: body, pool, head"):
        METHODS.get("gradcam")(model)


def test_reused_module_is_refused() -> None:
    model = plain_resnet("resnet18")  # each BasicBlock calls its one ReLU twice
    with pytest.raises(ConfigError, match="ran 2 times"):
        ModelAdapter(model).features_and_logits(images(1, 3, 32), "layer1.0.relu")


def test_input_level_methods_sum_channels_on_a_three_channel_model() -> None:
    model, x = plain_resnet("resnet18"), images(2, 3, 32)
    maps = METHODS.get("saliency")(model).attribute(x, torch.tensor([0, 1]))
    assert maps.shape == (2, 32, 32) and torch.isfinite(maps).all()
    assert METHODS.get("gradcam")(model).native_resolution(224) == (7, 7)


def test_lrp_asks_for_the_toolkit_wrapper() -> None:
    with pytest.raises(ConfigError, match="specxai_bench.wrap"):
        METHODS.get("lrp_epsilon")(plain_resnet("resnet18"))
