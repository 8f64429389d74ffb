"""Gradient and perturbation attributions through Captum, on the one-channel image itself.

Reference input where a method needs one: the all-zeros image, i.e. silence at the image's floor
(-80 dB below its maximum): "what does this sound add over nothing". Maps keep Captum's sign
(metrics use the positive part). Each subclass names its Captum class and the keyword arguments
of its call; the shared ``_attribute`` makes the call.
"""

from __future__ import annotations

import logging
import zlib
from contextlib import contextmanager
from typing import ClassVar, Iterator

import numpy as np
import torch

from .base import METHODS, AttributionMethod, require_positive

log = logging.getLogger(__name__)


def captum_attr():
    """``captum.attr``, imported on the first call: the import takes ~0.7 s of a process's start-up, and a run
    without a Captum method never needs it."""
    import captum.attr

    return captum.attr


class CaptumMethod(AttributionMethod):
    """Adapter: ``captum.attr.<captum_class>(model).attribute(images, target=targets, **self._call_kwargs(images))``."""

    family = "gradient"
    captum_class: ClassVar[str]  # the name of a class in captum.attr

    def _call_kwargs(self, images: torch.Tensor) -> dict[str, object]:
        return {}

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        images = images.detach().requires_grad_()  # a new leaf: Captum would warn and set it on the caller's
        explainer = getattr(captum_attr(), self.captum_class)(self.model)
        return explainer.attribute(images, target=targets, **self._call_kwargs(images))


@METHODS.register()
class Saliency(CaptumMethod):
    name = "saliency"
    captum_class = "Saliency"
    cost = "1 forward + 1 backward"
    description = "Saliency: |d logit / d pixel| (Simonyan et al. 2014)"

    def _call_kwargs(self, images: torch.Tensor) -> dict[str, object]:
        return {"abs": True}


@METHODS.register()
class InputXGradient(CaptumMethod):
    name = "input_x_gradient"
    captum_class = "InputXGradient"
    cost = "1 forward + 1 backward"
    description = "pixel value x gradient (signed); equals IG from silence for a linear model"


@METHODS.register()
class IntegratedGradients(CaptumMethod):
    """Gauss-Legendre path integral from silence; Captum's convergence delta is kept in ``last_delta``."""

    name = "integrated_gradients"
    captum_class = "IntegratedGradients"
    cost = "n_steps forwards + backwards (32)"
    description = "Integrated Gradients from the silent (all-zeros) image; sums to f(x) - f(silence)"

    def __init__(self, model: torch.nn.Module, *, n_steps: int = 32, internal_batch_size: int = 16) -> None:
        super().__init__(model)
        require_positive(self.name, n_steps=n_steps, internal_batch_size=internal_batch_size)
        self.n_steps = n_steps
        self.internal_batch_size = internal_batch_size  # path points per pass; 16 ~ 2.5 GB on ResNet-101 @224
        self.last_delta: torch.Tensor | None = None  # [B]: sum(attr) - (f(x) - f(silence)), last call

    def options(self) -> dict[str, object]:
        return {"n_steps": self.n_steps}

    def budget(self) -> dict[str, object]:
        return {"internal_batch_size": self.internal_batch_size}

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        attr, delta = captum_attr().IntegratedGradients(self.model).attribute(
            images, baselines=torch.zeros_like(images), target=targets, n_steps=self.n_steps,
            internal_batch_size=self.internal_batch_size, return_convergence_delta=True)
        self.last_delta = delta.detach()
        log.debug("integrated_gradients: max |convergence delta| %.3g over %d samples",
                  float(delta.abs().max()), len(delta))
        return attr


@contextmanager
def seeded_rngs(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's and numpy's global RNGs (Captum draws from both), restore both on exit."""
    state = np.random.get_state()
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(state)


@METHODS.register()
class GradientShap(CaptumMethod):
    """Expected gradients from silence with Gaussian input noise (``stdevs`` in image units: 0.1 is
    8 dB); seeded per sample from its content and ``seed``, so a map does not depend on its batch."""

    name = "gradient_shap"
    captum_class = "GradientShap"
    cost = "n_samples forwards + backwards (16)"
    description = "GradientSHAP: gradients at random points between silence and the noisy input"

    def __init__(self, model: torch.nn.Module, *, n_samples: int = 16, stdevs: float = 0.1, seed: int = 0) -> None:
        super().__init__(model)
        require_positive(self.name, n_samples=n_samples)
        if stdevs < 0:
            raise ValueError(f"{self.name}: stdevs must be >= 0, got {stdevs}")
        self.n_samples, self.stdevs, self.seed = n_samples, stdevs, seed

    def options(self) -> dict[str, object]:
        return {"n_samples": self.n_samples, "stdevs": self.stdevs, "seed": self.seed}

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        explainer = captum_attr().GradientShap(self.model)
        out = []
        for image, target in zip(images[:, None], targets[:, None]):
            key = (zlib.crc32(image.detach().cpu().numpy().tobytes()) ^ self.seed) & 0xFFFFFFFF
            with seeded_rngs(key, image.device):
                out.append(explainer.attribute(image, baselines=torch.zeros_like(image), target=target,
                                               n_samples=self.n_samples, stdevs=self.stdevs))
        return torch.cat(out)


@METHODS.register()
class Occlusion(CaptumMethod):
    """Sizes are given for a ``reference_px`` image and scaled to the image's own size."""

    name = "occlusion"
    family = "perturbation"
    captum_class = "Occlusion"
    cost = "1 forward per window position (27x27 = 729 at 224 px)"
    description = "Occlusion: drop of the target logit when a window is set to silence, averaged per pixel"

    def __init__(self, model: torch.nn.Module, *, window: int = 16, stride: int = 8,
                 reference_px: int | None = 224, perturbations_per_eval: int = 16) -> None:
        super().__init__(model)
        require_positive(self.name, window=window, stride=stride, perturbations_per_eval=perturbations_per_eval,
                         reference_px=reference_px or 1)
        if stride > window:
            raise ValueError(f"{self.name}: stride ({stride}) must not exceed window ({window})")
        self.window, self.stride, self.reference_px = window, stride, reference_px
        self.perturbations_per_eval = perturbations_per_eval  # occluded copies of each image per forward pass

    def options(self) -> dict[str, object]:
        return {"window": self.window, "stride": self.stride, "reference_px": self.reference_px}

    def budget(self) -> dict[str, object]:
        return {"perturbations_per_eval": self.perturbations_per_eval}

    def geometry(self, size: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """(window rows, cols), (stride rows, cols) on an image of ``size``."""
        scale = [1.0, 1.0] if self.reference_px is None else [s / self.reference_px for s in size]
        return (tuple(max(1, round(self.window * f)) for f in scale),  # type: ignore[return-value]
                tuple(max(1, round(self.stride * f)) for f in scale))

    def native_resolution(self, image_size: int) -> tuple[int, int]:
        (wh, ww), (sh, sw) = self.geometry((image_size, image_size))
        return (-(-(image_size - wh) // sh) + 1, -(-(image_size - ww) // sw) + 1)

    def _call_kwargs(self, images: torch.Tensor) -> dict[str, object]:
        window, stride = self.geometry(tuple(images.shape[-2:]))
        return {"sliding_window_shapes": (1, *window), "strides": (1, *stride), "baselines": 0.0,
                "perturbations_per_eval": self.perturbations_per_eval}
