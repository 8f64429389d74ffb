"""torchvision ResNets on spectrogram images.

The classifier takes the one-channel image [B, 1, H, W] in [0, 1]; normalisation and the
three-channel copy ImageNet-shaped networks expect happen inside the model, so attributions are
computed on the image itself and land on its grid. Weights start from scratch unless the user
gives a weights file (nothing can be downloaded here).
"""

from __future__ import annotations

import torch
import torchvision
from torch import nn

from ..errors import ConfigError

ARCHS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")


# torchvision ResNet's top-level stages, in forward order (before avgpool and fc)
STAGES = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4")


def _stages(layer: str) -> tuple[str, ...]:
    if layer not in STAGES:
        raise ConfigError(f"layer {layer!r} is not a top-level ResNet stage; use one of {', '.join(STAGES)}")
    return STAGES[: STAGES.index(layer) + 1]


class SpectrogramClassifier(nn.Module):
    """Normalise a [B, 1, H, W] image, copy it to three channels, run a torchvision ResNet."""

    def __init__(self, arch: str, num_classes: int) -> None:
        super().__init__()
        if arch not in ARCHS:
            raise ConfigError(f"unknown architecture {arch!r}; known: {', '.join(ARCHS)}")
        self.arch = arch
        self.backbone = getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(self._prepare(x))

    @staticmethod
    def _prepare(x: torch.Tensor) -> torch.Tensor:
        return ((x - 0.5) / 0.25).expand(-1, 3, -1, -1)

    def features(self, x: torch.Tensor, layer: str) -> torch.Tensor:
        """The output of top-level block ``layer`` (e.g. ``layer4``) for images [B, 1, H, W]."""
        x = self._prepare(x)
        for name in _stages(layer):
            x = getattr(self.backbone, name)(x)
        return x

    def head(self, features: torch.Tensor, layer: str) -> torch.Tensor:
        """Logits from the output of ``layer``: the rest of the network, pooling and the FC layer.

        ``head(features(x, l), l)`` equals ``forward(x)``; splitting lets a gradient method
        back-propagate only from the logits to ``layer`` instead of through the whole network.
        """
        x = features
        for name in STAGES[STAGES.index(layer) + 1:]:
            x = getattr(self.backbone, name)(x)
        return self.backbone.fc(torch.flatten(self.backbone.avgpool(x), 1))

    @property
    def feature_layer(self) -> nn.Module:
        """The last convolutional block (CAM's and Grad-CAM's default layer)."""
        return self.backbone.layer4

    @property
    def classifier(self) -> nn.Linear:
        return self.backbone.fc


def layer_by_name(model: SpectrogramClassifier, name: str) -> nn.Module:
    """``layer4`` / ``layer3`` … or a dotted path inside the backbone."""
    try:
        return model.backbone.get_submodule(name)
    except AttributeError:
        names = [n for n, _ in model.backbone.named_children()]
        raise ConfigError(f"model {model.arch} has no layer {name!r}; top-level layers: {', '.join(names)}") from None
