"""`--config FILE.toml` for `run` and `study`: a recipe file whose keys are the command's long options.

```toml
# leaderboards/shortcut.toml
profile = "cpu"
tasks = "shortcut"
methods = ["cam", "gradcam", "integrated_gradients", "input_energy", "uniform", "random"]
max-samples = 16
```

A key is an option without its dashes (``max-samples`` or ``max_samples``); a list is joined with
commas; ``true`` sets a flag. The file's values are read as if typed right after the command's
name, so every option given on the command line overrides the file. Unknown keys are refused,
naming the file and the known keys (exit code 2). What the run records as its command (manifest,
board provenance) is the equivalent plain command line, which reproduces it without the file.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

from ..errors import ConfigError


def add_config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, default=None, metavar="TOML",
                   help="read options from a TOML file (keys = option names, e.g. max-samples = 10); options "
                        "given on the command line override it")


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def command_path(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[int, argparse.ArgumentParser]:
    """How many leading tokens name the (sub)command (``run``: 1, ``study cutoff``: 2), and its parser."""
    n = 0
    while (sub := _subparsers(parser)) is not None and n < len(argv) and argv[n] in sub.choices:
        parser = sub.choices[argv[n]]
        n += 1
    return n, parser


def read_config(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"--config {path}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"--config {path}: not a readable TOML file ({exc}); write KEY = VALUE lines") from None


def config_tokens(parser: argparse.ArgumentParser, values: dict[str, Any], path: Path) -> list[str]:
    """Command-line tokens (``--key=value``) for the file's values, checked against ``parser``'s options."""
    actions = {s: a for a in parser._actions for s in a.option_strings if s.startswith("--")}
    known = sorted(s[2:] for s in actions if s not in ("--help", "--config"))
    tokens = []
    for key, value in values.items():
        flag = "--" + key.replace("_", "-")
        action = actions.get(flag)
        if action is None or flag in ("--help", "--config"):
            raise ConfigError(f"--config {path}: unknown key {key!r} for `{parser.prog}`; known keys: "
                              f"{', '.join(known)}")
        if isinstance(value, dict):
            raise ConfigError(f"--config {path}: key {key!r} holds a table; give a value, e.g. {key} = ...")
        if action.nargs == 0:  # a flag: true sets it, false leaves the default
            if not isinstance(value, bool):
                raise ConfigError(f"--config {path}: key {key!r} is a flag; write {key} = true or false")
            tokens += [flag] if value else []
            continue
        if isinstance(value, bool):
            raise ConfigError(f"--config {path}: key {key!r} takes a value, not {str(value).lower()}")
        if isinstance(value, list) and action.nargs in ("+", "*"):
            tokens += [flag, *map(str, value)]
            continue
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        if action.choices is not None and text not in action.choices:
            raise ConfigError(f"--config {path}: {key} = {value!r} is not one of {', '.join(map(str, action.choices))}")
        tokens.append(f"{flag}={text}")
    return tokens


def with_config(parser: argparse.ArgumentParser, argv: list[str], args: argparse.Namespace) -> argparse.Namespace:
    """``args`` again, parsed with the ``--config`` file's options placed right after the command's name."""
    path = getattr(args, "config", None)
    if path is None:
        return args
    n, sub = command_path(parser, argv)
    return parser.parse_args(argv[:n] + config_tokens(sub, read_config(path), path) + argv[n:])
