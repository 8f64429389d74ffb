"""Grad-CAM (Selvaraju et al. 2017) through pytorch-grad-cam.

pytorch-grad-cam clamps negative maps to zero and min-max scales each map to [0, 1]; those are
its documented outputs and we keep them (compare methods after one documented normalisation).
It is used inside ``with`` so its hooks are always removed.
"""

from __future__ import annotations

import torch
from pytorch_grad_cam import GradCAM as _GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from .base import METHODS, AttributionMethod


@METHODS.register()
class GradCAM(AttributionMethod):
    name = "gradcam"
    family = "cam"
    description = "Grad-CAM via pytorch-grad-cam: spatially averaged gradients weight the layer's maps"
    cost = "1 forward + 1 backward"
    uses_layer = True

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        cam_targets = [ClassifierOutputTarget(int(t)) for t in targets]
        with _GradCAM(model=self.model, target_layers=[self.layer]) as cam:
            maps = cam(input_tensor=images, targets=cam_targets)
        return torch.from_numpy(maps).to(images.device)
