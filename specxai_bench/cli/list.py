"""`specxai-bench list [methods|metrics|tasks|profiles] [PATTERN]`: what is registered.

Answers in a fraction of a second: the built-in plugins' metadata is read from their source
(:mod:`specxai_bench.plugin_info`), not imported, so torch and the attribution libraries are not
loaded; ``--probe`` builds each method on an untrained ResNet-18 to measure the native grid of
every method exactly (seconds).
"""

from __future__ import annotations

import argparse
import fnmatch
from typing import Any

from .output import add_format_option, dumps, fit_table

KINDS = ("methods", "metrics", "tasks", "profiles")
PROBE_PX = 224
# output stride of each torchvision ResNet stage: a map read at `layer` has PROBE_PX // stride cells a
# side (a test checks this against the methods built on a real model)
LAYER_STRIDES = {"conv1": 2, "bn1": 2, "relu": 2, "maxpool": 4, "layer1": 4, "layer2": 8, "layer3": 16,
                 "layer4": 32}


HELP = "list registered methods, metrics, tasks and profiles"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help=HELP)
    p.add_argument("kind", nargs="?", default="all", choices=["all", *KINDS])
    p.add_argument("pattern", nargs="?", default="*", help="shell-style wildcard, e.g. 'grad*'")
    p.add_argument("--probe", action="store_true",
                   help=f"measure every method's native grid at {PROBE_PX} px on an untrained ResNet-18 "
                        "(imports torch: seconds); without it, methods with a grid of their own show '-'")
    add_format_option(p)
    p.set_defaults(func=execute)


def _options(options: dict[str, Any]) -> str:
    from ..registry import format_value

    return ",".join(f"{k}={format_value(v)}" for k, v in options.items())


def static_grid(layer: str, uses_layer: bool, hooks: frozenset[str]) -> str | None:
    """The native grid at PROBE_PX px from the metadata, or None where the method computes its own."""
    if "native_resolution" in hooks:
        return None
    side = PROBE_PX // LAYER_STRIDES[layer] if uses_layer and layer in LAYER_STRIDES else PROBE_PX
    return None if uses_layer and layer not in LAYER_STRIDES else f"{side}x{side}"


def probed_grids(names: list[str]) -> dict[str, str]:
    """Each method's native grid measured on an untrained ResNet-18 (imports torch)."""
    import torch

    from ..methods import METHODS
    from ..model.classifier import SpectrogramClassifier

    probe = SpectrogramClassifier("resnet18", 2)
    out = {}
    with torch.no_grad():
        for name in names:
            h, w = METHODS.create(name, probe).native_resolution(PROBE_PX)
            out[name] = f"{h}x{w}"
    return out


def method_records(pattern: str, probe: bool = False) -> list[dict[str, Any]]:
    from ..plugin_info import plugins

    infos = [p for p in plugins("method") if fnmatch.fnmatchcase(p.name, pattern)]
    measured = probed_grids([p.name for p in infos]) if probe else {}
    out = []
    for p in infos:
        layer = p.options.get("layer", p.get("layer_name", "input"))
        grid = measured.get(p.name) or static_grid(str(layer), bool(p.get("uses_layer")), p.hooks)
        out.append({"method": p.name, "family": p.get("family"), "layer": layer, f"grid_{PROBE_PX}px": grid,
                    "cost": p.get("cost"), "options": p.options, "description": p.get("description"),
                    "source": p.source})
    return out


def metric_records(pattern: str) -> list[dict[str, Any]]:
    from ..plugin_info import plugins

    return [{"metric": p.name, "version": p.get("version"), "family": p.get("family"), "role": p.get("role"),
             "higher_is_better": p.get("higher_is_better"), "tasks": p.get("task_kinds"), "options": p.options,
             "description": p.get("description"), "source": p.source}
            for p in plugins("metric") if fnmatch.fnmatchcase(p.name, pattern)]


def task_records(pattern: str) -> list[dict[str, Any]]:
    from ..data.tasks import ALL_TASKS

    return [{"task": t.name, "kind": t.kind, "classes": list(t.classes), "fmax_hz": t.fmax,
             "description": t.description} for t in ALL_TASKS.values() if fnmatch.fnmatchcase(t.name, pattern)]


def profile_records(pattern: str) -> list[dict[str, Any]]:
    from ..model.profiles import PROFILES

    return [{"profile": p.name, "arch": p.arch, "image_size": p.image_size, "epochs": p.epochs,
             "batch_size": p.batch_size, "lr": p.lr, "description": p.description}
            for p in PROFILES.values() if fnmatch.fnmatchcase(p.name, pattern)]


def text(kind: str, records: list[dict[str, Any]]) -> str:
    if kind == "methods":
        rows = [[r["method"], r["family"], r["layer"], r[f"grid_{PROBE_PX}px"] or "-", r["cost"],
                 _options(r["options"]), r["description"]] for r in records]
        return fit_table(rows, ["method", "family", "layer", f"grid@{PROBE_PX}px", "cost", "options", "description"],
                         shrink={"cost": 16, "options": 24, "description": 30})
    if kind == "metrics":
        rows = [[r["metric"], f"v{r['version']}", r["family"] + (" (sanity)" if r["role"] == "sanity" else ""),
                 "↑" if r["higher_is_better"] else "↓", _kinds(r["tasks"]), _options(r["options"]),
                 r["description"]] for r in records]
        return fit_table(rows, ["metric", "version", "family", "better", "tasks", "options", "description"],
                         shrink={"options": 24, "description": 30})
    if kind == "tasks":
        rows = [[r["task"], " ".join(r["classes"]), f"0-{r['fmax_hz']:g} Hz" if r["fmax_hz"] else "0-Nyquist",
                 r["description"]] for r in records]
        return fit_table(rows, ["task", "classes", "band", "description"], shrink={"classes": 20, "description": 30})
    rows = [[r["profile"], r["arch"], r["image_size"], r["epochs"], r["batch_size"], f"{r['lr']:g}",
             r["description"]] for r in records]
    return fit_table(rows, ["profile", "arch", "px", "epochs", "batch", "lr", "description"])


def execute(args: argparse.Namespace) -> int:
    kinds = KINDS if args.kind == "all" else (args.kind,)
    make = {"methods": lambda p: method_records(p, args.probe), "metrics": metric_records, "tasks": task_records,
            "profiles": profile_records}
    records = {kind: make[kind](args.pattern) for kind in kinds}
    if args.format == "json":
        print(dumps(records))
        return 0
    for kind in kinds:
        print(text(kind, records[kind]))
        print()
    return 0


def _kinds(kinds: Any) -> str:
    """The task kinds a metric applies to; "all" when it is every kind there is."""
    from ..plugin_info import constant

    every = constant("specxai_bench.data.tasks", "TASK_KINDS")
    return "all" if kinds and set(kinds) == set(every) else ",".join(kinds or ())
