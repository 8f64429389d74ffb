"""Checkpoints: the toolkit's own (weights + the config that made them) and user-supplied weights.

Everything is loaded with ``weights_only=True``: no pickle from a checkpoint ever runs code.
Writes go through :func:`specxai_bench.io.atomic_write`, so a checkpoint is whole or absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import CheckpointError
from ..io import atomic_write, file_digest
from .classifier import SpectrogramClassifier


def weights_digest(path: Path) -> str:
    """Content digest of a user weights file (enters the model config), or a clear error if it is missing."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist; give the path to a torchvision state dict "
                              "(nothing can be downloaded here)")
    return file_digest(path)


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
