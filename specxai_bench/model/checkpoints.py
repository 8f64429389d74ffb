"""Checkpoints: the toolkit's own (weights + the config that made them) and user-supplied weights.

User weights come in two roles. ``--weights`` alone initialises the backbone before training
(e.g. ImageNet weights; the head is new). ``--weights`` with ``--classes`` is a finished model: a
plain torchvision ResNet state dict (``torch.save(model.state_dict())``, e.g. a ResNet-101
fine-tuned elsewhere, with its own ``fc``), ``--classes`` naming its outputs in order. It is
wrapped as a :class:`SpectrogramClassifier` with ImageNet input normalisation: the toolkit's
one-channel image in [0, 1] is copied to three channels and normalised with ImageNet's mean and
std, as torchvision's usual transforms do to a grey image (docs/api.md). Its ``fc`` rows are put in
the task's class order. A state dict of another architecture, or an ``fc`` with another number of
outputs than ``--classes`` names, is a clear error naming both.

Everything is loaded with ``weights_only=True``: no pickle from a checkpoint ever runs code.
Writes go through :func:`specxai_bench.io.atomic_write`, so a checkpoint is whole or absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn

from ..errors import CheckpointError, ConfigError
from ..io import atomic_write, config_hash, file_digest
from .classifier import ARCHS, SpectrogramClassifier

#: torchvision ResNets by (blocks per stage, bottleneck blocks)
_RESNET_SHAPES = {((2, 2, 2, 2), False): "resnet18", ((3, 4, 6, 3), False): "resnet34",
                  ((3, 4, 6, 3), True): "resnet50", ((3, 4, 23, 3), True): "resnet101",
                  ((3, 8, 36, 3), True): "resnet152"}


def weights_digest(path: Path) -> str:
    """Content digest of a user weights file (enters the model config), or a clear error if it is missing."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist; give the path to a torchvision state dict "
                              "(nothing can be downloaded here)")
    return file_digest(path)


def read_state_dict(path: str | Path, arch: str) -> dict[str, torch.Tensor]:
    """A user's state dict (``weights_only``); a ``state_dict`` entry, ``module.`` (DataParallel) and
    ``backbone.`` (the toolkit's own checkpoints) prefixes are unwrapped."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist; give the path to a torchvision "
                              f"{arch} state dict (nothing can be downloaded here)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"weights file {path} could not be read as a state dict ({exc})") from None
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"weights file {path} holds no state dict (save one with "
                              "torch.save(model.state_dict(), path))")
    for prefix in ("module.", "backbone."):
        if state and all(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
    return state


def resnet_arch(state: dict[str, torch.Tensor]) -> str | None:
    """Which torchvision ResNet a state dict belongs to (from its blocks), or None."""
    try:
        blocks = tuple(1 + max(int(k.split(".")[1]) for k in state if k.startswith(f"layer{i}.")) for i in range(1, 5))
    except ValueError:
        return None
    return _RESNET_SHAPES.get((blocks, any(k.startswith("layer1.0.conv3.") for k in state)))


def load_backbone_weights(model: SpectrogramClassifier, path: str | Path) -> None:
    """Initialise from a user-supplied state dict (e.g. ImageNet weights); the head is kept new."""
    state = read_state_dict(path, model.arch)
    _check_arch(state, path, model.arch)
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    result = model.backbone.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.startswith("fc.")]
    if missing or result.unexpected_keys:
        raise CheckpointError(
            f"weights file {path} does not fit {model.arch}: {len(missing)} missing keys "
            f"(e.g. {missing[:2]}), {len(result.unexpected_keys)} unexpected (e.g. {result.unexpected_keys[:2]})")


def _check_arch(state: dict[str, torch.Tensor], path: str | Path, arch: str) -> None:
    found = resnet_arch(state)
    if found is not None and found != arch:
        raise CheckpointError(f"weights file {path} holds a {found} state dict; the run's architecture is {arch} "
                              f"(--arch or the profile's): pass --arch {found}")
    if found is None and not any(k.startswith("layer1.") for k in state):
        raise CheckpointError(f"weights file {path} is not a torchvision ResNet state dict (keys e.g. "
                              f"{list(state)[:3]}); give one of {', '.join(ARCHS)}")


def load_finished_model(path: str | Path, arch: str, classes: tuple[str, ...], task_classes: tuple[str, ...],
                        input_norm: str = "imagenet") -> SpectrogramClassifier:
    """A plain torchvision ResNet state dict with its own ``fc`` whose outputs are ``classes`` (in
    order), as a classifier of the toolkit's images whose outputs follow ``task_classes``."""
    state = read_state_dict(path, arch)
    _check_arch(state, path, arch)
    fc = state.get("fc.weight")
    if fc is None:
        raise CheckpointError(f"weights file {path} has no fc layer (fc.weight): a finished model needs its "
                              "classifier head")
    if fc.shape[0] != len(classes):
        raise CheckpointError(f"weights file {path}: its fc has {fc.shape[0]} outputs; --classes names "
                              f"{len(classes)} ({','.join(classes)}): name one class per output, in the model's "
                              "output order")
    if sorted(classes) != sorted(task_classes):
        raise ConfigError(f"--classes {','.join(classes)} are not the classes of the task ({','.join(task_classes)})")
    net = getattr(torchvision.models, arch)(weights=None, num_classes=len(classes))
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"weights file {path} does not fit torchvision's {arch}: {str(exc)[:300]}") from None
    order = torch.tensor([classes.index(c) for c in task_classes])
    with torch.no_grad():  # output j is task class j
        net.fc.weight.copy_(net.fc.weight[order].clone())
        net.fc.bias.copy_(net.fc.bias[order].clone())
    return SpectrogramClassifier(arch, len(task_classes), input_norm=input_norm, network=net).eval()


def finished_model_meta(path: str | Path, arch: str, classes: tuple[str, ...], task: str, image_size: int,
                        input_norm: str = "imagenet") -> dict[str, Any]:
    """The record of a finished model: its id hashes the file's content, the class order and the input."""
    config = {"init": "finished", "weights": f"{Path(path).name}:{weights_digest(Path(path))}", "arch": arch,
              "classes": list(classes), "task": task, "image_size": image_size, "input_norm": input_norm}
    return {"config_hash": config_hash(config), "config": config, "checkpoint": str(path), "cached": True,
            "arch": arch, "image_size": image_size, "task": task}


def save_checkpoint(path: Path, model: nn.Module, meta: dict[str, Any]) -> None:
    blob = {"state_dict": model.state_dict(), "meta": json.dumps(meta, sort_keys=True)}
    atomic_write(path, lambda f: torch.save(blob, f))


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
