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


#: How a one-channel image in [0, 1] becomes the three-channel input of the network, per channel
#: (mean, std): ``toolkit`` for models trained here (0.5 / 0.25: silence -2, the image maximum +2);
#: ``imagenet`` for torchvision models trained elsewhere on grey images with the usual
#: ``Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])`` transform.
INPUT_NORMS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "toolkit": ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


class SpectrogramClassifier(nn.Module):
    """Normalise a [B, 1, H, W] image, copy it to three channels, run a torchvision ResNet.

    ``network`` wraps an existing torchvision model (e.g. one fine-tuned elsewhere) instead of a
    new ``arch``; ``input_norm`` names its input normalisation (:data:`INPUT_NORMS`). Layer names
    (``layer4``) are those of the network (``layer_root``), as for a plain torchvision ResNet.
    """

    input_channels = 1  # the toolkit's image: one channel, [0, 1]

    def __init__(self, arch: str, num_classes: int, *, input_norm: str = "toolkit",
                 network: nn.Module | None = None) -> None:
        super().__init__()
        if network is None and arch not in ARCHS:
            raise ConfigError(f"unknown architecture {arch!r}; known: {', '.join(ARCHS)}")
        if input_norm not in INPUT_NORMS:
            raise ConfigError(f"unknown input normalisation {input_norm!r}; known: {', '.join(INPUT_NORMS)}")
        self.arch = arch
        self.input_norm = input_norm
        self.backbone = network if network is not None else getattr(torchvision.models, arch)(
            weights=None, num_classes=num_classes)
        mean, std = INPUT_NORMS[input_norm]
        self._mean = torch.tensor(mean).view(1, 3, 1, 1)  # plain attributes: not in the state dict
        self._std = torch.tensor(std).view(1, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(self._prepare(x))

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        """[B, 1, H, W] in [0, 1] -> the network's normalised [B, 3, H, W] (per pixel, one-to-one)."""
        mean, std = self._mean.to(x.device, x.dtype), self._std.to(x.device, x.dtype)
        return (x.expand(-1, 3, -1, -1) - mean) / std

    @property
    def layer_root(self) -> nn.Module:
        """Where layer names are resolved (the wrapped torchvision network)."""
        return self.backbone

    @property
    def feature_layer(self) -> nn.Module:
        """The last convolutional block (CAM's and Grad-CAM's default layer)."""
        return self.backbone.layer4

    @property
    def classifier(self) -> nn.Linear:
        return self.backbone.fc

