"""`specxai-bench`: one module per subcommand, each exposing ``add_parser(subparsers)``.

Building the parser imports no torch and no plugin library (every subcommand module imports its
heavy parts inside ``execute``), so `--help`, `--version` and `list` answer in a fraction of a second.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .. import __version__
from ..errors import SpecXAIError

SUBCOMMANDS = ("run", "list", "corpus", "leaderboard", "report", "study")


def build_parser() -> argparse.ArgumentParser:
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
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..runtime.progress import quiet
    from .config import with_config

    argv = [*(sys.argv[1:] if argv is None else argv)]  # (`list` here is the subcommand module)
    parser = build_parser()
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
