"""`specxai-bench report`: tables and figures as one self-contained HTML page (and a Markdown page)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import arguments
from .leaderboard import add_board_options, board_config
from .output import add_quiet_option


HELP = "write the tables and figures (overlays, band profiles, confusion) as one HTML page and a Markdown page"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help=HELP,
                       description="Tables from the stored rows plus figures; maps are re-created from the cached "
                                   "checkpoints for a few test samples per class only (never re-scored).")
    add_board_options(p)
    p.add_argument("--out", type=arguments.folder, default=Path("specxai-report"),
                   help="output folder (default: specxai-report/)")
    p.add_argument("--examples", type=int, default=4,
                   help="test samples per class whose maps are re-created for the figures (default: 4)")
    p.add_argument("--methods", default=None,
                   help="comma-separated method names or wildcards to draw (default: every method in the store)")
    p.add_argument("--no-confusion", action="store_true", help="skip the confusion matrices")
    add_quiet_option(p)
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..io import writable_folder
    from ..results.report import build_report

    if args.examples < 1:
        raise ConfigError(f"--examples must be at least 1, got {args.examples}")
    writable_folder(args.out, "--out")  # a file or a read-only folder fails here, before any work
    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    command = " ".join(["specxai-bench report --results", *args.results, f"--out {args.out}"])
    written = build_report(args.results, args.out, per_class=args.examples, methods=methods,
                           confusion=not args.no_confusion, cfg=board_config(args), command=command)
    print(f"report: {args.out / 'index.html'} and {args.out / 'report.md'} ({len(written)} files)")
    return 0
