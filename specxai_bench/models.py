"""torchvision ResNets on spectrogram images, and their checkpoints.

The classifier takes the one-channel image [B, 1, H, W] in [0, 1]; normalisation and the
three-channel copy ImageNet-shaped networks expect happen inside the model, so attributions are
computed on the image itself and land on its grid. Weights start from scratch unless the user
gives a weights file (nothing can be downloaded here).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn

from .errors import CheckpointError, ConfigError

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


def load_backbone_weights(model: SpectrogramClassifier, path: str | Path) -> None:
    """Initialise from a user-supplied state dict (e.g. ImageNet weights); the head is kept new."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist; give the path to a torchvision "
                              f"{model.arch} state dict (nothing can be downloaded here)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"weights file {path} could not be read as a state dict ({exc})") from None
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict):
        raise CheckpointError(f"weights file {path} holds no state dict")
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    result = model.backbone.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.startswith("fc.")]
    if missing or result.unexpected_keys:
        raise CheckpointError(
            f"weights file {path} does not fit {model.arch}: {len(missing)} missing keys "
            f"(e.g. {missing[:2]}), {len(result.unexpected_keys)} unexpected (e.g. {result.unexpected_keys[:2]})")


def config_hash(config: dict[str, Any]) -> str:
    """Short stable hash of a JSON-able config: the checkpoint's name carries it."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (short): user weights enter the model config by content."""
    from .errors import CheckpointError

    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist; give the path to a torchvision state dict "
                              "(nothing can be downloaded here)")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, fsync, rename: the file is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(path: Path, model: nn.Module, meta: dict[str, Any]) -> None:
    import io

    buf = io.BytesIO()
    torch.save({"state_dict": model.state_dict(), "meta": json.dumps(meta, sort_keys=True)}, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: Path, model: nn.Module, expected_hash: str) -> dict[str, Any]:
    """Load weights (``weights_only=True``) after checking the checkpoint was made for this config."""
    how = f"delete {path} or run with --retrain"
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        meta = json.loads(blob["meta"])
        state = blob["state_dict"]
    except Exception as exc:
        raise CheckpointError(f"checkpoint {path} is truncated or not a specxai-bench checkpoint "
                              f"({type(exc).__name__}); {how}") from None
    if meta.get("config_hash") != expected_hash:
        raise CheckpointError(f"checkpoint {path} was made with another config "
                              f"({meta.get('config_hash')} != {expected_hash}); {how}")
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint {path} does not fit the model ({str(exc)[:200]}); {how}") from None
    return meta
