"""CAM against pytorch-grad-cam's Grad-CAM, and CAM's batching (the study's reused-feature-map bug).

On a ResNet, layer4 is followed by global average pooling and one linear layer, so the gradient of
logit c w.r.t. feature map k is w_ck / (h w) everywhere: Grad-CAM's channel weights are CAM's FC
weights divided by h w, and Grad-CAM = minmax(ReLU(CAM)) (pytorch-grad-cam min-max scales each map;
min is 0 whenever the CAM has a non-positive location). Compared at the layer's own grid (4x4 at
128 px), where no resizing is involved, to 1e-4.
"""

from __future__ import annotations

import pytest
import torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from specxai_bench.methods import METHODS
from specxai_bench.methods import cam as cam_module
from specxai_bench.methods.base import upsample

from .conftest import tiny_images, tiny_model

PX, NATIVE = 128, 4
TARGETS = torch.tensor([0, 1, 2])


class NativeGradCAM(GradCAM):
    """pytorch-grad-cam's Grad-CAM with its cv2 resize asked for the layer's own size (a no-op)."""

    def get_target_width_height(self, input_tensor: torch.Tensor) -> tuple[int, int]:
        return NATIVE, NATIVE


def minmax(maps: torch.Tensor) -> torch.Tensor:
    lo = maps.amin((1, 2), keepdim=True)
    return (maps - lo) / (maps.amax((1, 2), keepdim=True) - lo + 1e-7)


@pytest.fixture
def native_cam(monkeypatch: pytest.MonkeyPatch):
    """CAM's maps at the layer's grid: the plugin with its final upsampling switched off."""
    monkeypatch.setattr(cam_module, "upsample", lambda maps, size: maps)
    return lambda model, images, targets: METHODS.get("cam")(model)._attribute(images, targets)


def test_cam_equals_gradcam_on_gap_linear_head(native_cam) -> None:
    model, images = tiny_model(), tiny_images(3, PX)
    cam = native_cam(model, images, TARGETS)
    assert cam.shape == (3, NATIVE, NATIVE)
    assert (cam <= 0).flatten(1).any(1).all(), "each CAM needs a non-positive location for min = 0"
    with NativeGradCAM(model=model, target_layers=[model.feature_layer]) as gradcam:
        expected = gradcam(input_tensor=images, targets=[ClassifierOutputTarget(int(t)) for t in TARGETS])
    torch.testing.assert_close(minmax(cam.clamp(min=0)), torch.from_numpy(expected), rtol=0, atol=1e-4)


def test_upsample_matches_pytorch_grad_cam_resize(native_cam) -> None:
    """At full size too: our bilinear ``upsample`` and cv2's resize agree (half-pixel centres)."""
    model, images = tiny_model(), tiny_images(3, PX)
    cam = minmax(native_cam(model, images, TARGETS).clamp(min=0))
    ours = minmax(upsample(cam, (PX, PX)))  # pytorch-grad-cam: scale, cv2 resize, scale again
    gradcam = METHODS.get("gradcam")(model).attribute(images, TARGETS)
    torch.testing.assert_close(ours, gradcam, rtol=0, atol=1e-4)


def test_batched_cam_uses_each_samples_own_features() -> None:
    model, images = tiny_model(), tiny_images(3, PX)
    method = METHODS.get("cam")(model)
    batched = method.attribute(images, TARGETS)
    for i in range(3):
        alone = method.attribute(images[i:i + 1], TARGETS[i:i + 1])
        torch.testing.assert_close(batched[i:i + 1], alone, rtol=1e-4, atol=1e-5)
    same_target = method.attribute(images, torch.zeros(3, dtype=torch.long))
    for i in range(1, 3):  # the study's script reused the first image's maps for every later image
        assert (same_target[i] - same_target[0]).abs().max() > 1e-3 * same_target.abs().max()
