"""Argument types shared by the subcommands: a bad value is an argparse usage error (exit 2)
naming the option, before anything is read or written."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..seeds import MAX_SEED


def seed(text: str) -> int:
    """A seed: an integer from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to {MAX_SEED}, got {text}")
    return value


def folder(text: str) -> Path:
    """A folder path; an empty one is refused (it would silently mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path would write into the current folder; give a folder")
    return Path(text)
