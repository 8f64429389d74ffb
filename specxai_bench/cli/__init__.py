"""`specxai-bench`: one module per subcommand, each exposing ``add_parser(subparsers)`` and its one-line ``HELP``.

Only the subcommand asked for is built in full; the others are named with their ``HELP`` (so the
top-level help lists them). Subcommand modules import their heavy parts inside functions, so
`--help`, `--version` and `list` load neither torch nor numpy-heavy stages nor plugin libraries.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .. import __version__
from ..errors import SpecXAIError

SUBCOMMANDS = ("run", "list", "corpus", "leaderboard", "report", "study", "meta")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the subcommand it names is built in full (None: all of them)."""
    wanted = next((a for a in argv if not a.startswith("-")), "") if argv is not None else None
    parser = argparse.ArgumentParser(
        prog="specxai-bench",
        description="Benchmark attribution methods on speech-spectrogram classifiers against phonetics.")
    parser.add_argument("--version", action="version", version=f"specxai-bench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # subcommand not installed in this build
            raise
        if wanted is None or name == wanted or getattr(module, "HELP", None) is None:
            module.add_parser(sub)
        else:
            sub.add_parser(name, help=module.HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..runtime.progress import quiet
    from .config import with_config

    argv = [*(sys.argv[1:] if argv is None else argv)]  # (`list` here is the subcommand module)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        args = with_config(parser, argv, args)  # --config FILE.toml (run, study): the file's options
        with quiet(getattr(args, "quiet", False)):
            return int(args.func(args) or 0)
    except SpecXAIError as exc:
        print(f"specxai-bench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # stdout closed early (`| head`): stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("specxai-bench: interrupted; rows written so far are kept, rerun the same command to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
