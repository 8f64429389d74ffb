"""The attribution-method contract and its registry.

A method is one small class over :class:`AttributionMethod` that overrides one hook,
``_attribute``. The public ``attribute`` validates inputs and outputs: it returns a float tensor
[B, H, W] on the image grid for the given target classes, finite, never silently NaN. Methods
work on any torch CNN: they see the model through :class:`~.adapter.ModelAdapter` (layers by
name), and the images are whatever the model takes ([B, 1, H, W] for the toolkit's classifier,
[B, 3, H, W] for a plain torchvision model; maps of several channels are summed).
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..data.spectrogram import FrequencyAxis
from ..errors import SpecXAIError
from ..registry import Registry
from .adapter import ModelAdapter


class AttributionError(SpecXAIError):
    """A method that failed or returned non-finite values; names the method and samples."""


class AttributionMethod(ABC):
    """Base class. Subclasses set the class attributes and implement ``_attribute``.

    Options are explicit keyword-only arguments of the subclass's ``__init__`` (a typo fails at
    once); a spec such as ``gradcam@layer=layer3`` sets them (:mod:`specxai_bench.registry`).
    """

    name: ClassVar[str]
    family: ClassVar[str] = "other"
    description: ClassVar[str] = ""
    cost: ClassVar[str] = ""  # forward/backward passes per sample, for `list methods`
    uses_layer: ClassVar[bool] = False  # reads a convolutional layer (coarse native grid)
    layer_name: str = "input"
    axis: FrequencyAxis | None = None  # the images' rows in Hz, for maps placed by frequency (band_prior)

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    @property
    def adapter(self) -> ModelAdapter:
        """The model seen by name (layers, their outputs, the logits they lead to)."""
        return ModelAdapter(self.model)

    @property
    def layer(self) -> nn.Module:
        return self.adapter.layer(self.layer_name)

    def with_model(self, model: nn.Module) -> "AttributionMethod":
        """The same method and options on another model (the randomisation sanity check uses it)."""
        clone = copy.copy(self)
        clone.model = model
        return clone

    def with_axis(self, axis: FrequencyAxis) -> "AttributionMethod":
        """The same method for images whose rows are ``axis`` (the runner calls it once per task): a
        model-free map placed by frequency (band_prior) reads it; every other method ignores it."""
        clone = copy.copy(self)
        clone.axis = axis
        return clone

    def options(self) -> dict[str, object]:
        """The options that change the maps (recorded in result keys and the manifest)."""
        return {}

    def budget(self) -> dict[str, object]:
        """Options that change only cost or memory, not the maps (kept out of result keys)."""
        return {}

    def native_resolution(self, image_size: int) -> tuple[int, int]:
        """Rows x columns of the map before upsampling (e.g. 7x7 for layer4 at 224 px)."""
        if not self.uses_layer:
            return (image_size, image_size)
        with torch.no_grad(), capture_output(self.layer) as out:
            self.model.eval()(self.adapter.probe(image_size))
        return tuple(out[0].shape[-2:])  # type: ignore[return-value]

    def attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Attributions [B, H, W] for ``images`` [B, C, H, W] (as the model takes them) and target classes [B]."""
        if images.ndim != 4:
            raise ValueError(f"{self.name}: images must be [B, C, H, W], got {tuple(images.shape)}")
        if targets.shape != (images.shape[0],):
            raise ValueError(f"{self.name}: need one target per image, got {tuple(targets.shape)}")
        self.model.eval()
        maps = self._attribute(images, targets).detach().float()
        if maps.ndim == 4:
            maps = maps.sum(1)
        if maps.shape != (images.shape[0], *images.shape[-2:]):
            raise AttributionError(f"{self.name} returned shape {tuple(maps.shape)}, expected "
                                   f"{(images.shape[0], *images.shape[-2:])}")
        return maps

    @abstractmethod
    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Maps [B, H, W] (or [B, C, H, W], summed over C) for ``targets``."""


class LayerAttribution(AttributionMethod):
    """A method that reads one convolutional layer (``layer``, a dotted module path in the network):
    its native grid is that layer's, coarser than the image."""

    uses_layer = True

    def __init__(self, model: nn.Module, *, layer: str = "layer4") -> None:
        super().__init__(model)
        self.layer_name = layer
        if model is not None:
            self.layer  # an unknown layer fails here, naming the model's layers

    def options(self) -> dict[str, object]:
        return {"layer": self.layer_name}


def upsample(maps: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Coarse maps [B, h, w] -> [B, H, W], bilinear with half-pixel centres (as cv2 and PIL)."""
    return F.interpolate(maps[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]


class capture_output:
    """Context manager: records a module's forward output; removes its hook on exit."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module
        self.outputs: list[torch.Tensor] = []

    def __enter__(self) -> list[torch.Tensor]:
        self.handle = self.module.register_forward_hook(lambda m, i, o: self.outputs.append(o))
        return self.outputs

    def __exit__(self, *exc: object) -> None:
        self.handle.remove()


def require_positive(method: str, **values: float) -> None:
    """Fail at construction, naming the option, when a count or size option is not positive."""
    bad = [f"{k}={v!r}" for k, v in values.items() if v is None or v <= 0]
    if bad:
        raise ValueError(f"{method}: options must be positive, got {', '.join(bad)}")


METHODS: Registry[AttributionMethod] = Registry("method", AttributionMethod, "specxai_bench.methods")


def _load_builtins() -> None:
    # each module registers its methods on import; one that fails to import is reported and skipped
    METHODS.import_modules(__package__, ("band_prior", "baselines", "cam", "captum_methods", "deeplift", "gradcam",
                                         "gradcam_family", "lrp"))


METHODS.set_builtins_loader(_load_builtins)


@dataclass(frozen=True)
class MethodInfo:
    name: str
    family: str
    layer: str
    native_resolution: str
    cost: str
    description: str
