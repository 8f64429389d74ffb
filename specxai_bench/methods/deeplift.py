"""DeepLIFT (Shrikumar et al. 2017, rescale rule) through Captum, made to work on torchvision ResNets.

Two fixes, both inside :func:`deeplift_canonized`, which restores the model on exit:
- Captum's DeepLift hooks every nonlinearity module and keeps its input and output on the module
  between the forward and the backward pass. torchvision's BasicBlock and Bottleneck call one
  in-place ``self.relu`` two or three times, so the kept values are overwritten and Captum stops
  with "module is being used more than once": each call gets its own non-inplace ReLU.
- Captum 0.9's max-pool rule breaks summation-to-delta (|delta| up to ~40 % of f(x) - f(ref) on an
  untrained ResNet-18; its zero-delta fallback also reads the batch's first sample, captum issue
  #1276): each MaxPool2d becomes the same max written as a chain max(a, b) = b + ReLU(a - b), so
  the rescale rule applies and the attributions sum to f(x) - f(silence). This is an exact rule
  for the max, not Captum's (the split among a window's cells depends on the chain's order).
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from types import MethodType
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair
from torchvision.models.resnet import BasicBlock, Bottleneck

from .base import METHODS, AttributionMethod
from .captum_methods import captum_attr

log = logging.getLogger(__name__)


def _basic_forward(self: BasicBlock, x: torch.Tensor) -> torch.Tensor:
    relu1, relu2 = self.distinct_relus
    identity = x if self.downsample is None else self.downsample(x)
    out = relu1(self.bn1(self.conv1(x)))
    return relu2(self.bn2(self.conv2(out)) + identity)


def _bottleneck_forward(self: Bottleneck, x: torch.Tensor) -> torch.Tensor:
    relu1, relu2, relu3 = self.distinct_relus
    identity = x if self.downsample is None else self.downsample(x)
    out = relu1(self.bn1(self.conv1(x)))
    out = relu2(self.bn2(self.conv2(out)))
    return relu3(self.bn3(self.conv3(out)) + identity)


_FORWARDS = {BasicBlock: (_basic_forward, 2), Bottleneck: (_bottleneck_forward, 3)}


class RescaleMaxPool2d(nn.Module):
    """MaxPool2d as a chain max(a, b) = b + ReLU(a - b) over the window: DeepLIFT's rescale rule
    then sums to delta through it. Replicate padding: a padded cell copies a cell of its own window."""

    def __init__(self, pool: nn.MaxPool2d) -> None:
        super().__init__()
        if _pair(pool.dilation) != (1, 1) or pool.ceil_mode or pool.return_indices:
            raise ValueError(f"RescaleMaxPool2d supports plain max pooling only, not {pool}")
        self.kernel, self.stride = _pair(pool.kernel_size), _pair(pool.stride or pool.kernel_size)
        self.padding = _pair(pool.padding)
        self.relus = nn.ModuleList(nn.ReLU() for _ in range(self.kernel[0] * self.kernel[1] - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        x = F.pad(x, (pw, pw, ph, ph), mode="replicate")
        ho, wo = (x.shape[-2] - kh) // sh + 1, (x.shape[-1] - kw) // sw + 1
        views = [x[..., i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] for i in range(kh) for j in range(kw)]
        out = views[0]
        for view, relu in zip(views[1:], self.relus):
            out = view + relu(out - view)
        return out


@contextmanager
def deeplift_canonized(model: nn.Module) -> Iterator[nn.Module]:
    """Inside: each ReLU call of a torchvision ResNet block is its own non-inplace module and each
    MaxPool2d is a :class:`RescaleMaxPool2d`. Same function; everything is restored on exit."""
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU) and m.inplace]
    blocks = [m for m in model.modules() if type(m) in _FORWARDS]
    pools = [(parent, name, child) for parent in model.modules()
             for name, child in parent.named_children() if type(child) is nn.MaxPool2d]
    try:
        for relu in relus:
            relu.inplace = False
        for block in blocks:
            forward, n_relus = _FORWARDS[type(block)]
            block.distinct_relus = nn.ModuleList(nn.ReLU() for _ in range(n_relus))
            block.forward = MethodType(forward, block)
        for parent, name, pool in pools:
            setattr(parent, name, RescaleMaxPool2d(pool))
        yield model
    finally:
        for parent, name, pool in pools:
            setattr(parent, name, pool)
        for block in blocks:
            block.__dict__.pop("forward", None)
            if "distinct_relus" in block._modules:
                del block.distinct_relus
        for relu in relus:
            relu.inplace = True


@METHODS.register()
class DeepLift(AttributionMethod):
    """Rescale rule from silence on the canonized model; Captum's convergence delta is kept in ``last_delta``."""

    name = "deeplift"
    family = "gradient"
    cost = "1 forward + 1 backward (input and reference)"
    description = "DeepLIFT rescale rule from the silent (all-zeros) image; sums to f(x) - f(silence)"

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.last_delta: torch.Tensor | None = None  # [B]: sum(attr) - (f(x) - f(silence)), last call

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        with deeplift_canonized(self.model), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Setting forward, backward hooks")  # removed after, as tested
            attr, delta = captum_attr().DeepLift(self.model).attribute(
                images.detach().requires_grad_(), baselines=torch.zeros_like(images), target=targets,
                return_convergence_delta=True)
        self.last_delta = delta.detach()
        log.debug("deeplift: max |convergence delta| %.3g", float(delta.abs().max()))
        return attr
