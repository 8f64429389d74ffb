"""Layer-wise Relevance Propagation (Bach et al. 2015) through zennit, on canonized torchvision ResNets.

Shared by every variant (docs/methods.md has the rule per layer type, the reasons and timings):
- The target logit is the relevance put in at the top (zennit's gradient seeded with one-hot x logit),
  so a chain of conservative rules hands out exactly that logit; ``last_delta`` keeps the gap
  sum(relevance) - logit per sample (biases, including merged batch norms, absorb some).
- zennit's ``ResNetCanonizer`` merges each batch norm into the convolution before it (running
  statistics: the model is in eval mode, which ``attribute`` ensures) and routes each block's skip
  addition through a ``Sum`` module, so the sum gets a rule (Norm: split in proportion to the two
  branches). Canonizers and rule hooks live inside one ``with Gradient(...)`` block and are undone on exit.
- Relevance is propagated through ``model.backbone``, whose input is the normalised image
  ``(x - 0.5) / 0.25`` copied to three channels. That map is per pixel and one-to-one, so relevance
  passes it unchanged: a pixel's relevance is the sum over its three copies. (Autograd through it
  would multiply relevance by 4.) The pixel layer's rule (ZBox or Flat) sees the image range [0, 1]
  through the same map: silence is -2, the image maximum +2.
"""

from __future__ import annotations

import logging
from abc import abstractmethod

import torch
import torch.nn.functional as F
from zennit.attribution import Gradient
from zennit.composites import (
    EpsilonPlusFlat,
    SpecialFirstLayerMapComposite,
    layer_map_base,
)
from zennit.core import Composite
from zennit.rules import Epsilon, ZBox, ZPlus
from zennit.torchvision import ResNetCanonizer
from zennit.types import Linear  # convolutions and fully connected layers

from ..errors import ConfigError
from .base import METHODS, AttributionMethod, capture_output, require_positive

log = logging.getLogger(__name__)


class LRPMethod(AttributionMethod):
    """Base: subclasses return a fresh zennit composite (rules per layer type) from ``composite``."""

    family = "lrp"
    cost = "1 forward + 1 backward that re-runs each layer (~3x a gradient)"

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__(model)
        if model is not None and not hasattr(model, "_prepare"):
            raise ConfigError(f"{self.name} needs the toolkit's classifier (its input normalisation enters the "
                              "pixel rule): wrap a torchvision model with specxai_bench.wrap(model)")
        self.last_delta: torch.Tensor | None = None  # [B]: sum(relevance) - target logit, last call

    @abstractmethod
    def composite(self, low: torch.Tensor, high: torch.Tensor) -> Composite:
        """Rules and canonizers; ``low`` / ``high`` [1, 3, 1, 1] bound the backbone's input."""

    @staticmethod
    def zbox_first(rule: object, low: torch.Tensor, high: torch.Tensor) -> Composite:
        """ZBox (bounded by ``low`` / ``high``) on the pixel layer, ``rule`` on every other convolution
        and the FC layer, zennit's base rules elsewhere, on the canonized ResNet."""
        return SpecialFirstLayerMapComposite(layer_map=layer_map_base() + [(Linear, rule)],
                                             first_map=[(Linear, ZBox(low=low, high=high))],
                                             canonizers=[ResNetCanonizer()])

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        prepare = self.model._prepare
        x = prepare(images.detach()).clone()  # [B, 3, H, W]: the backbone's input, a new leaf
        corner = images[:1, :, :1, :1].detach()
        low, high = prepare(torch.zeros_like(corner)), prepare(torch.ones_like(corner))  # silence, 0 dB

        def seed(logits: torch.Tensor) -> torch.Tensor:
            return F.one_hot(targets, logits.shape[1]).to(logits) * logits.detach()

        with torch.enable_grad(), Gradient(self.model.backbone, self.composite(low, high)) as attributor:
            logits, relevance = attributor(x.requires_grad_(), seed)
        relevance = relevance.sum(1)
        self.last_delta = relevance.sum((1, 2)) - logits.detach().gather(1, targets[:, None])[:, 0]
        log.debug("%s: max |sum(relevance) - logit| %.3g over %d samples",
                  self.name, float(self.last_delta.abs().max()), len(targets))
        return relevance


class EpsilonLRPMethod(LRPMethod):
    """Adds the ``epsilon`` option: the epsilon rule's stabiliser, added to each layer's pre-activations
    (larger absorbs the relevance of weak, contradictory neurons: sparser maps, less conservation)."""

    def __init__(self, model: torch.nn.Module, *, epsilon: float = 1e-6) -> None:
        super().__init__(model)
        require_positive(self.name, epsilon=epsilon)
        self.epsilon = epsilon

    def options(self) -> dict[str, object]:
        return {"epsilon": self.epsilon}


@METHODS.register()
class LRPEpsilon(EpsilonLRPMethod):
    name = "lrp_epsilon"
    description = "LRP: ZBox on the pixel layer, epsilon rule on every other convolution and the FC layer"

    def composite(self, low: torch.Tensor, high: torch.Tensor) -> Composite:
        return self.zbox_first(Epsilon(epsilon=self.epsilon), low, high)


@METHODS.register()
class LRPEpsilonPlusFlat(EpsilonLRPMethod):
    name = "lrp_epsilon_plus_flat"
    description = "LRP, zennit's epsilon_plus_flat: Flat on the pixel layer, z+ on convolutions, epsilon on FC"

    def composite(self, low: torch.Tensor, high: torch.Tensor) -> Composite:
        return EpsilonPlusFlat(epsilon=self.epsilon, canonizers=[ResNetCanonizer()])

    def native_resolution(self, image_size: int) -> tuple[int, int]:
        """conv1's output grid (112x112 at 224 px): Flat spreads each of its cells' relevance evenly
        over the cell's 7x7 receptive field, whatever the pixels hold."""
        p = next(self.model.parameters())
        with torch.no_grad(), capture_output(self.model.backbone.conv1) as out:
            self.model.eval()(torch.zeros(1, 1, image_size, image_size, device=p.device, dtype=p.dtype))
        return tuple(out[0].shape[-2:])  # type: ignore[return-value]


@METHODS.register()
class LRPAlpha1Beta0(LRPMethod):
    name = "lrp_alpha1beta0"
    description = "LRP: ZBox on the pixel layer, alpha1-beta0 on every other convolution and the FC layer"

    def composite(self, low: torch.Tensor, high: torch.Tensor) -> Composite:
        # zennit's ZPlus is alpha1-beta0 for inputs of either sign, in 2 passes per layer (AlphaBeta takes 4)
        return self.zbox_first(ZPlus(), low, high)
