"""Grad-CAM (Selvaraju et al. 2017), back-propagating only from the logits to the target layer.

pytorch-grad-cam back-propagates through the whole network (0.44x a forward pass on ResNet-18 at
224 px); the channel weights only need the gradient at the target layer, so here the layer's output
is made a leaf of one forward pass (:meth:`~.adapter.ModelAdapter.features_and_logits`) and the
gradient is taken w.r.t. it alone. Works on any CNN, the layer named by its dotted path. Output
follows pytorch-grad-cam's documented post-processing exactly (ReLU, per-map min-max scaling,
bilinear resize with half-pixel centres, min-max again); tests check the maps against it within
1e-5, on the toolkit's classifier and on a plain torchvision ResNet-50. Parameter gradients are
never touched (``torch.autograd.grad`` w.r.t. the features only).
"""

from __future__ import annotations

import torch

from .base import METHODS, LayerAttribution, upsample


def minmax(maps: torch.Tensor) -> torch.Tensor:
    """pytorch-grad-cam's ``scale_cam_image``: per map, subtract the min, divide by max + 1e-7."""
    maps = maps - maps.amin((1, 2), keepdim=True)
    return maps / (maps.amax((1, 2), keepdim=True) + 1e-7)


@METHODS.register()
class GradCAM(LayerAttribution):
    name = "gradcam"
    family = "cam"
    description = "Grad-CAM: spatially averaged gradients weight the layer's maps (equals pytorch-grad-cam)"
    cost = "1 forward + backward from the logits to the layer"

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        features, logits = self.adapter.features_and_logits(images, self.layer_name, grad=True)
        score = logits.gather(1, targets[:, None]).sum()
        (grads,) = torch.autograd.grad(score, features)
        weights = grads.mean((2, 3))  # [B, C]
        maps = torch.einsum("bc,bchw->bhw", weights, features.detach()).clamp(min=0)
        return minmax(upsample(minmax(maps), images.shape[-2:]))
