"""`specxai-bench leaderboard`: regenerate every table from stored rows (never recomputed)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from . import arguments

if TYPE_CHECKING:
    from ..results.aggregate import BoardConfig


def add_board_options(p: argparse.ArgumentParser) -> None:
    """Options shared with `report`: which stores, and how cells are aggregated."""
    p.add_argument("--results", nargs="+", required=True, metavar="PATH",
                   help="one or more results.sqlite stores; merged into one board (a row in several counts once, "
                        "the first store given wins)")
    p.add_argument("--seed", type=arguments.seed, default=0, help="bootstrap seed (default: 0)")
    p.add_argument("--n-resamples", type=int, default=9999, help="bootstrap resamples of speakers (default: 9999)")
    p.add_argument("--sanity-threshold", type=float, default=0.5,
                   help="threshold for randomisation sanity metrics that declare none (default: 0.5)")
    p.add_argument("--min-speakers", type=int, default=5,
                   help="speakers a cell needs for a CI and a rank (default: 5; fewer: the cell says why not)")


def board_config(args: argparse.Namespace) -> "BoardConfig":
    from ..errors import ConfigError
    from ..results.aggregate import BoardConfig

    if args.n_resamples < 100:
        raise ConfigError(f"--n-resamples must be at least 100, got {args.n_resamples}")
    if args.min_speakers < 2:
        raise ConfigError(f"--min-speakers must be at least 2, got {args.min_speakers}")
    return BoardConfig(n_resamples=args.n_resamples, seed=args.seed, sanity_threshold=args.sanity_threshold,
                       min_speakers=args.min_speakers)


HELP = "regenerate the leaderboard tables from stored per-sample rows"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help=HELP,
                       description="Aggregate per-sample rows into tables (mean, 95 % speaker-cluster bootstrap CI, "
                                   "n, rank) as Markdown, CSV and LaTeX, with a provenance footer. Deterministic: "
                                   "the same rows give byte-identical files.")
    add_board_options(p)
    p.add_argument("--out", type=arguments.folder, default=Path("leaderboards"),
                   help="output folder (default: leaderboards/)")
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace) -> int:
    from ..io import writable_folder
    from ..results.board import default_command
    from ..results.leaderboard import regenerate

    cfg = board_config(args)
    writable_folder(args.out, "--out")  # a file or a read-only folder fails here, before any work
    written = regenerate(args.results, args.out, cfg, default_command(args.results, args.out, cfg))
    print(f"{len(written)} files in {args.out}: {', '.join(p.name for p in written)}")
    return 0
