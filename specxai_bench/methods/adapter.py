"""What a layer-reading method needs from any torch CNN, found by name, never by class.

A method reads a layer by its dotted name (``layer4``, ``features.7``), the layer's output for a
batch, the logits that output leads to, and (CAM) the linear layer of the pooling head. Nothing
here knows the toolkit's classifier: a wrapper around a network (the toolkit's
:class:`~specxai_bench.model.classifier.SpectrogramClassifier`) names it ``layer_root``, and layer
names resolve there first, so ``layer4`` means the same on a wrapped and a plain torchvision ResNet.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError


class ModelAdapter:
    """A model seen by name: its layers, their outputs and the logits they lead to."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.root: nn.Module = getattr(model, "layer_root", model)

    def layer(self, name: str) -> nn.Module:
        """The module called ``name`` (a dotted path), in the wrapped network first, then the model."""
        for base in dict.fromkeys((self.root, self.model)):
            try:
                return base.get_submodule(name)
            except AttributeError:
                continue
        raise ConfigError(f"model {type(self.root).__name__} has no layer {name!r}; its top-level layers: "
                          f"{', '.join(self.top_level())} (name a nested one with dots, e.g. layer4.1)")

    def top_level(self) -> list[str]:
        return [n for n, _ in self.root.named_children()]

    def linear(self, name: str) -> nn.Linear:
        """The linear layer ``name`` (CAM's pooling-head classifier)."""
        module = self.layer(name)
        if not isinstance(module, nn.Linear):
            raise ConfigError(f"layer {name!r} of model {type(self.root).__name__} is a {type(module).__name__}, "
                              "not the nn.Linear of a global-average-pooling head")
        return module

    def input_channels(self) -> int:
        """Channels the model takes: its own ``input_channels``, else its first convolution's."""
        declared = getattr(self.model, "input_channels", None)
        if declared is not None:
            return int(declared)
        conv = next((m for m in self.model.modules() if isinstance(m, nn.Conv2d)), None)
        return 1 if conv is None else conv.in_channels

    def probe(self, size: int) -> torch.Tensor:
        """An all-zeros input [1, C, size, size] on the model's device (for grid sizes)."""
        p = next(self.model.parameters())
        return torch.zeros(1, self.input_channels(), size, size, device=p.device, dtype=p.dtype)

    def features_and_logits(self, images: torch.Tensor, layer: str, *, grad: bool = False
                            ) -> tuple[torch.Tensor, torch.Tensor]:
        """The output of ``layer`` [B, C, h, w] and the logits [B, K], from one forward pass.

        With ``grad`` the layer's output is made a leaf the logits depend on, so
        ``torch.autograd.grad(score, features)`` back-propagates from the logits to the layer only
        (not into earlier layers or parameter gradients). The forward hook is removed on exit.
        """
        module = self.layer(layer)
        captured: list[torch.Tensor] = []

        def hook(m: nn.Module, inputs: object, output: torch.Tensor) -> torch.Tensor | None:
            if not isinstance(output, torch.Tensor):
                raise ConfigError(f"layer {layer!r} returns {type(output).__name__}, not a tensor: name a layer "
                                  "whose output is a feature map")
            if grad:
                output = output.detach().requires_grad_(True)
                captured.append(output)
                torch.set_grad_enabled(True)  # from here on the layers above record the graph; no_grad restores
                return output
            captured.append(output.detach())
            return None

        handle = module.register_forward_hook(hook)
        try:
            with torch.no_grad():  # the layers below ``layer`` record no graph and keep no activations
                logits = self.model(images)
        finally:
            handle.remove()
        if len(captured) != 1:
            raise ConfigError(f"layer {layer!r} ran {len(captured)} times in one forward pass; name a layer that "
                              "runs once (a module reused inside a block, like torchvision's shared ReLU, cannot "
                              "be read)")
        if captured[0].ndim != 4:
            raise ConfigError(f"layer {layer!r} outputs shape {tuple(captured[0].shape)}, not a feature map "
                              "[B, C, h, w]")
        return captured[0], logits
