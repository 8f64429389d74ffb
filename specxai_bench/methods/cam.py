"""CAM (Zhou et al. 2016): last block's feature maps weighted by the class's FC weights.

Computed batched from each sample's own features in one forward pass (the study's script kept
the first image's feature maps for every later image; a test guards against that). The sign is
kept: CAM is a linear read-out of the logit, and metrics use its positive part.
"""

from __future__ import annotations

import torch

from .base import METHODS, AttributionMethod, capture_output, upsample


@METHODS.register()
class CAM(AttributionMethod):
    name = "cam"
    family = "cam"
    description = "Class Activation Mapping: FC weights of the target class x last-block features"
    cost = "1 forward"
    uses_layer = True

    @torch.no_grad()
    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        with capture_output(self.model.feature_layer) as out:
            self.model(images)
        features = out[0]  # [B, C, h, w]: each sample's own maps
        weights = self.model.classifier.weight[targets]  # [B, C]
        maps = torch.einsum("bc,bchw->bhw", weights, features)
        return upsample(maps, images.shape[-2:])
