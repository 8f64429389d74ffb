"""CAM (Zhou et al. 2016): the pooled layer's feature maps weighted by the class's weights in the
linear layer of the global-average-pooling head.

Works on any CNN whose head is ``layer`` -> global average pooling -> ``classifier`` (a
torchvision ResNet: ``layer4`` and ``fc``, the defaults; a user's model names its own). That
structure is what makes CAM a read-out of the logit (the map's mean plus the bias is the logit),
so it is checked: at construction on a probe input, and on every batch; another layer or head is
refused (use Grad-CAM there). Computed batched from each sample's own features in one forward pass
(the study's script kept the first image's feature maps for every later image; a test guards
against that). The sign is kept: metrics use the positive part.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError
from .base import METHODS, AttributionError, LayerAttribution, upsample

POOLED_LAYER = "layer4"  # the block a torchvision ResNet pools globally and feeds to fc
CLASSIFIER = "fc"


@METHODS.register()
class CAM(LayerAttribution):
    name = "cam"
    family = "cam"
    description = "Class Activation Mapping: pooling-head weights of the target class x the pooled layer's maps"
    cost = "1 forward"

    def __init__(self, model: nn.Module, *, layer: str = POOLED_LAYER, classifier: str = CLASSIFIER) -> None:
        super().__init__(model, layer=layer)
        self.classifier = classifier
        if model is not None:
            self.adapter.linear(classifier)  # a missing or non-linear classifier fails here, naming it
            self._check_structure()

    def options(self) -> dict[str, object]:
        # the default classifier is left out, so rows keep the keys they had before the option existed
        return super().options() | ({} if self.classifier == CLASSIFIER else {"classifier": self.classifier})

    def _check_structure(self) -> None:
        """Refuse, at once, a layer that is not followed by global average pooling and the classifier."""
        gen = torch.Generator().manual_seed(0)
        probe = self.adapter.probe(64)
        probe = torch.rand(probe.shape, generator=gen).to(probe)
        try:
            self._cam(probe, torch.zeros(1, dtype=torch.long, device=probe.device))
        except AttributionError as exc:
            raise ConfigError(str(exc)) from None
        except ConfigError:
            raise
        except Exception:  # the model cannot take the probe (e.g. a fixed input size): checked per batch instead
            pass

    @torch.no_grad()
    def _cam(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        features, logits = self.adapter.features_and_logits(images, self.layer_name)  # each sample's own maps
        fc = self.adapter.linear(self.classifier)
        if features.shape[1] != fc.in_features:
            raise AttributionError(self._refusal(f"{self.layer_name} has {features.shape[1]} channels, "
                                                 f"{self.classifier} takes {fc.in_features} features"))
        maps = torch.einsum("bc,bchw->bhw", fc.weight[targets], features)  # [B, h, w]
        readout = maps.mean((1, 2)) + (0 if fc.bias is None else fc.bias[targets])
        logit = logits.gather(1, targets[:, None])[:, 0]
        gap = (readout - logit).abs()
        if not bool((gap <= 1e-3 * (1 + logit.abs())).all()):
            raise AttributionError(self._refusal(f"the map's mean plus the bias differs from the logit by up to "
                                                 f"{float(gap.max()):.3g}"))
        return maps

    def _refusal(self, why: str) -> str:
        return (f"cam is defined only at the layer before global average pooling, read out by the pooling head's "
                f"linear layer ({self.layer_name} -> pooling -> {self.classifier} does not hold: {why}); name them "
                f"with cam@layer=...,classifier=..., or use gradcam@layer={self.layer_name}")

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return upsample(self._cam(images, targets), images.shape[-2:])
