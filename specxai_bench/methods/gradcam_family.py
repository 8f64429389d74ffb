"""The rest of pytorch-grad-cam's CAM family through one adapter: each method names its class.

pytorch-grad-cam's documented outputs are kept: each map is clamped at 0, resized with cv2
(bilinear) and min-max scaled to [0, 1] per sample, so signs and magnitudes are lost (compare
methods after one documented normalisation). The CAM object is used inside ``with`` so its hooks
are removed; its ``__exit__`` swallows IndexError, so a missing or misshapen map is raised here.
Its ``loss.backward()`` fills the parameters' ``.grad``: they are put back as they were.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack, contextmanager
from types import SimpleNamespace
from typing import ClassVar, Iterator
from unittest import mock

import pytorch_grad_cam as gc
import torch
import tqdm as tqdm_package
from pytorch_grad_cam.ablation_layer import AblationLayer
from pytorch_grad_cam.base_cam import BaseCAM
from pytorch_grad_cam.utils.find_layers import replace_layer_recursive
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from .base import METHODS, AttributionError, LayerAttribution, require_positive


@contextmanager
def kept_param_grads(model: torch.nn.Module) -> Iterator[None]:
    """Restore every parameter's ``.grad`` (pytorch-grad-cam zeroes and then fills them)."""
    saved = [(p, p.grad) for p in model.parameters()]
    try:
        yield
    finally:
        for p, g in saved:
            p.grad = g


@contextmanager
def quiet_progress(cam_class: type) -> Iterator[None]:
    """Silence the per-sample tqdm bars of Score-CAM / Ablation-CAM (they would flood a run's log)."""
    silent = SimpleNamespace(tqdm=lambda it, *a, **k: it)
    with ExitStack() as stack:
        for klass in cam_class.__mro__:
            module = sys.modules[klass.__module__]
            if getattr(module, "tqdm", None) is tqdm_package:
                stack.enter_context(mock.patch.object(module, "tqdm", silent))
        yield


class PytorchGradCAM(LayerAttribution):
    """Adapter: runs ``cam_class`` on ``self.layer`` for the target classes, one map per sample."""

    family = "cam"
    cost = "1 forward + 1 backward"
    cam_class: ClassVar[type[BaseCAM]]

    def _make_cam(self) -> BaseCAM:
        return self.cam_class(model=self.model, target_layers=[self.layer])

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        cam_targets = [ClassifierOutputTarget(int(t)) for t in targets]
        maps = None
        with kept_param_grads(self.model), quiet_progress(self.cam_class), self._make_cam() as cam:
            maps = cam(input_tensor=images, targets=cam_targets)
        expected = (images.shape[0], *images.shape[-2:])
        if maps is None or tuple(maps.shape) != expected:
            raise AttributionError(
                f"{self.name}: pytorch-grad-cam returned {None if maps is None else maps.shape}, expected "
                f"{expected} (its __exit__ swallows IndexError: see the message it printed)")
        out = torch.from_numpy(maps).to(images.device)
        bad = (~torch.isfinite(out)).flatten(1).any(1).nonzero().flatten().tolist()
        if bad:
            raise AttributionError(f"{self.name}: non-finite map for samples {bad} of the batch")
        return out


@METHODS.register()
class GradCAMPlusPlus(PytorchGradCAM):
    name = "gradcam_pp"
    cam_class = gc.GradCAMPlusPlus
    description = "Grad-CAM++: channel weights from positive gradients with 2nd/3rd-order terms"


@METHODS.register()
class XGradCAM(PytorchGradCAM):
    name = "xgradcam"
    cam_class = gc.XGradCAM
    description = "XGrad-CAM: gradients weighted by the activations' share within each channel"


@METHODS.register()
class LayerCAM(PytorchGradCAM):
    name = "layercam"
    cam_class = gc.LayerCAM
    description = "Layer-CAM: positive gradient x activation per location, summed over channels"


@METHODS.register()
class HiResCAM(PytorchGradCAM):
    name = "hirescam"
    cam_class = gc.HiResCAM
    description = "HiRes-CAM: gradient x activation per location (equals Grad-CAM on a GAP + linear head)"


@METHODS.register()
class EigenCAM(PytorchGradCAM):
    name = "eigencam"
    cam_class = gc.EigenCAM
    cost = "1 forward + 1 SVD per sample"
    description = ("Eigen-CAM: first principal component of the layer's maps; class-agnostic "
                   "(ignores the target), its sign is the SVD's")


class _LeanScoreCAM(gc.ScoreCAM):
    """pytorch-grad-cam's ScoreCAM, minus a leak: its layer hooks stay on during the masked forward
    passes and keep every masked batch's feature maps (GBs on ResNet-101). We use one target layer,
    whose maps are already read when the channel weights are computed, so the hooks go first."""

    def get_cam_weights(self, *args: object, **kwargs: object) -> object:
        self.activations_and_grads.release()
        return super().get_cam_weights(*args, **kwargs)


@METHODS.register()
class ScoreCAM(PytorchGradCAM):
    name = "scorecam"
    cam_class = _LeanScoreCAM
    cost = "1 + C forwards (C channels: 512 on ResNet-18 layer4, 2048 on ResNet-101)"
    description = "Score-CAM: softmax over channels of the target score of the input masked by each map"

    def __init__(self, model: torch.nn.Module, *, layer: str = "layer4", batch_size: int = 32) -> None:
        super().__init__(model, layer=layer)
        require_positive(self.name, batch_size=batch_size)
        self.batch_size = batch_size  # masked images per forward pass: memory vs speed

    def budget(self) -> dict[str, object]:
        return {"batch_size": self.batch_size}

    def _make_cam(self) -> BaseCAM:
        cam = super()._make_cam()
        cam.batch_size = self.batch_size  # ScoreCAM has no argument for it; it reads this attribute
        return cam


@METHODS.register()
class AblationCAM(PytorchGradCAM):
    name = "ablationcam"
    cam_class = gc.AblationCAM
    cost = "1 + C forwards (C ablated channels: all by default)"
    description = ("Ablation-CAM: relative drop of the target score when each channel is zeroed "
                   "(divides by the score: the sign flips where the logit is negative)")

    def __init__(self, model: torch.nn.Module, *, layer: str = "layer4", batch_size: int = 32,
                 ratio_channels_to_ablate: float = 1.0) -> None:
        super().__init__(model, layer=layer)
        require_positive(self.name, batch_size=batch_size, ratio_channels_to_ablate=ratio_channels_to_ablate)
        self.batch_size = batch_size
        self.ratio_channels_to_ablate = ratio_channels_to_ablate  # < 1: pytorch-grad-cam's SVD pre-selection

    def options(self) -> dict[str, object]:
        return {**super().options(), "ratio_channels_to_ablate": self.ratio_channels_to_ablate}

    def budget(self) -> dict[str, object]:
        return {"batch_size": self.batch_size}

    def _make_cam(self) -> BaseCAM:
        # a fresh AblationLayer per call: the library's default argument is one shared instance
        return gc.AblationCAM(model=self.model, target_layers=[self.layer], ablation_layer=AblationLayer(),
                              batch_size=self.batch_size, ratio_channels_to_ablate=self.ratio_channels_to_ablate)

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        layer = self.layer
        try:
            return super()._attribute(images, targets)
        finally:  # AblationCAM swaps the layer out and back without try/finally: undo a failed call
            if self.layer is not layer:
                replace_layer_recursive(self.model, self.layer, layer)
