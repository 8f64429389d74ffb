"""CAM (Zhou et al. 2016): last block's feature maps weighted by the class's FC weights.

Computed batched from each sample's own features in one forward pass (the study's script kept
the first image's feature maps for every later image; a test guards against that). The sign is
kept: CAM is a linear read-out of the logit, and metrics use its positive part.
"""

from __future__ import annotations

import torch

from ..errors import ConfigError
from ..model.classifier import STAGES, SpectrogramClassifier
from .base import METHODS, LayerAttribution, capture_output, upsample

POOLED_LAYER = STAGES[-1]  # the block whose output the ResNet pools globally and feeds to fc


@METHODS.register()
class CAM(LayerAttribution):
    name = "cam"
    family = "cam"
    description = "Class Activation Mapping: FC weights of the target class x last-block features"
    cost = "1 forward"

    def __init__(self, model: SpectrogramClassifier, *, layer: str = POOLED_LAYER) -> None:
        if layer != POOLED_LAYER:
            raise ConfigError(f"cam is defined only at the layer before global pooling ({POOLED_LAYER}): its map "
                              f"is the FC weights times that layer's features; for another layer use "
                              f"gradcam@layer={layer}")
        super().__init__(model, layer=layer)

    @torch.no_grad()
    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        with capture_output(self.layer) as out:
            self.model(images)
        features = out[0]  # [B, C, h, w]: each sample's own maps
        weights = self.model.classifier.weight[targets]  # [B, C]
        maps = torch.einsum("bc,bchw->bhw", weights, features)
        return upsample(maps, images.shape[-2:])
