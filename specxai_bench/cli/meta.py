"""`specxai-bench meta agreement`: metrics scored against each other, from stored rows.

Reads one or more result stores (as `leaderboard` does), computes Kendall's tau between the method
rankings of every pair of metrics with speaker-bootstrap intervals (:mod:`..results.agreement`),
and writes a Markdown page, a CSV and a heat map per task to --out.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("meta", help="metrics scored against each other (agreement of their method rankings)",
                       description="Analyses of the metrics themselves, from stored result rows.")
    kinds = p.add_subparsers(dest="meta", metavar="{agreement}", required=True)
    a = kinds.add_parser("agreement", help="Kendall's tau between the method rankings of every pair of metrics",
                         description="For each task, model and target mode in the stores: Kendall's tau-b between "
                                     "the method rankings of every pair of metrics (directions aligned), with "
                                     "speaker-bootstrap intervals; a Markdown page, a CSV and heat maps.")
    a.add_argument("--results", nargs="+", required=True, metavar="STORE",
                   help="results.sqlite file(s) of runs (merged as by `leaderboard`)")
    a.add_argument("--out", type=Path, default=Path("leaderboards"), help="output folder (default: leaderboards)")
    a.add_argument("--tasks", default=None, help="comma-separated tasks to keep (default: all in the stores)")
    a.add_argument("--target-mode", default=None, choices=["true", "predicted"],
                   help="keep one target mode (default: each mode its own matrix)")
    a.add_argument("--min-methods", type=int, default=8,
                   help="methods a pair of metrics must both score for a tau (default: 8)")
    a.add_argument("--n-resamples", type=int, default=2000, help="speaker resamples for the intervals (default 2000)")
    a.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    a.set_defaults(func=execute)


def command_line(args: argparse.Namespace) -> str:
    parts = ["specxai-bench meta agreement --results", *map(str, args.results)]
    for flag, value, default in (("--tasks", args.tasks, None), ("--target-mode", args.target_mode, None),
                                 ("--min-methods", args.min_methods, 8), ("--n-resamples", args.n_resamples, 2000),
                                 ("--seed", args.seed, 0)):
        if value != default:
            parts.append(f"{flag} {value}")
    return " ".join(parts)


def execute(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from ..errors import ConfigError
    from ..io import atomic_write_files
    from ..results.agreement import AgreementConfig, agreement
    from ..results.agreement_page import page_files
    from ..results.aggregate import BoardConfig
    from ..results.board import Board, load_stores
    from ..results.render import provenance

    if args.min_methods < 2:
        raise ConfigError(f"--min-methods must be at least 2 (a ranking needs two methods), got {args.min_methods}")
    if args.n_resamples < 100:
        raise ConfigError(f"--n-resamples must be at least 100, got {args.n_resamples}")
    src = load_stores(args.results)
    rows = src.rows
    if args.tasks:
        wanted = [t.strip() for t in args.tasks.split(",") if t.strip()]
        missing = sorted(set(wanted) - set(rows["task"]))
        if missing:
            raise ConfigError(f"task(s) {', '.join(missing)} have no rows in {', '.join(args.results)}; tasks "
                              f"there: {', '.join(sorted(rows['task'].unique()))}")
        rows = rows[rows["task"].isin(wanted)]
    if args.target_mode:
        rows = rows[rows["target_mode"] == args.target_mode]
    cfg = AgreementConfig(n_resamples=args.n_resamples, seed=args.seed, min_methods=args.min_methods)
    results = agreement(rows, cfg)
    usable = [a for a in results if np.isfinite(a.tau).any()]
    if not usable:
        counts = ", ".join(f"{a.task}: {len(a.methods)}" for a in results) or "none"
        raise ConfigError(f"no pair of metrics is scored by at least {args.min_methods} methods (methods per task: "
                          f"{counts}); run more methods, or lower --min-methods")
    command = command_line(args)
    src.rows = rows.reset_index(drop=True)
    board = Board(src, BoardConfig(), command, pd.DataFrame(), pd.DataFrame())
    footer = [f"page: `{command}`"] + [line for line in dict.fromkeys(
        line for a in usable for line in provenance(board, a.task)) if not line.startswith("tables: ")]
    args.out.mkdir(parents=True, exist_ok=True)
    written = atomic_write_files(page_files(usable, cfg, args.out, footer))
    print(f"{len(written)} files in {args.out}: {', '.join(p.name for p in written)}")
    return 0
