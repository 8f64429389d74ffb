"""`specxai-bench leaderboard`: every table of the stores, built, rendered and written in one step."""

from __future__ import annotations

from pathlib import Path

from ..io import atomic_write_files
from .aggregate import BoardConfig
from .board import build_board, default_command
from .render import render_all


def regenerate(paths: list[str | Path], out: str | Path, cfg: BoardConfig = BoardConfig(),
               command: str | None = None) -> list[Path]:
    """`specxai-bench leaderboard`: all tables for the stores, written atomically into ``out``."""
    board = build_board(paths, cfg, command or default_command([str(p) for p in paths], out, cfg))
    return atomic_write_files({Path(out) / name: text for name, text in render_all(board).items()})
