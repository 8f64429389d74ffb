"""`specxai-bench list [methods|metrics|tasks|profiles] [PATTERN]`: what is registered, from the registries."""

from __future__ import annotations

import argparse

from tabulate import tabulate

KINDS = ("methods", "metrics", "tasks", "profiles")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list registered methods, metrics, tasks and profiles")
    p.add_argument("kind", nargs="?", default="all", choices=["all", *KINDS])
    p.add_argument("pattern", nargs="?", default="*", help="shell-style wildcard, e.g. 'grad*'")
    p.set_defaults(func=execute)


def method_rows(pattern: str) -> list[list[str]]:
    import torch

    from ..methods import METHODS
    from ..model.classifier import SpectrogramClassifier

    probe = SpectrogramClassifier("resnet18", 2)  # native grid of a ResNet at 224 px
    rows = []
    for name in METHODS.list(pattern):
        cls = METHODS.get(name)
        method = cls(probe)
        with torch.no_grad():
            h, w = method.native_resolution(224)
        rows.append([name, cls.family, method.layer_name, f"{h}x{w}", cls.cost, cls.description])
    return rows


def metric_rows(pattern: str) -> list[list[str]]:
    from ..metrics import METRICS

    rows = []
    for name in METRICS.list(pattern):
        cls = METRICS.get(name)
        m = cls()
        rows.append([m.id, f"v{cls.version}", cls.family, "higher" if cls.higher_is_better else "lower",
                     ",".join(cls.task_kinds), cls.description])
    return rows


def execute(args: argparse.Namespace) -> int:
    import fnmatch

    from ..data.tasks import ALL_TASKS
    from ..model.profiles import PROFILES

    kinds = KINDS if args.kind == "all" else (args.kind,)
    for kind in kinds:
        if kind == "methods":
            print(tabulate(method_rows(args.pattern),
                           headers=["method", "family", "layer", "native grid @224px", "cost", "description"]))
        elif kind == "metrics":
            print(tabulate(metric_rows(args.pattern),
                           headers=["metric id", "version", "family", "better", "tasks", "description"]))
        elif kind == "tasks":
            rows = [[t.name, " ".join(t.classes), f"0-{t.fmax:g} Hz" if t.fmax else "0-Nyquist", t.description]
                    for t in ALL_TASKS.values() if fnmatch.fnmatchcase(t.name, args.pattern)]
            print(tabulate(rows, headers=["task", "classes", "band", "description"]))
        else:
            rows = [[p.name, p.arch, p.image_size, p.epochs, p.batch_size, p.lr, p.description]
                    for p in PROFILES.values() if fnmatch.fnmatchcase(p.name, args.pattern)]
            print(tabulate(rows, headers=["profile", "arch", "px", "epochs", "batch", "lr", "description"]))
        print()
    return 0
