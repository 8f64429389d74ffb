"""`specxai-bench run`: build data, train or load models, attribute, score, print tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.tasks import TASKS
from ..model.profiles import PROFILES, SIZE_OVERRIDES
from ..runtime.distributed import is_reporter

if TYPE_CHECKING:
    from ..experiment import RunConfig

DEFAULT_METHODS = "cam,gradcam"
DEFAULT_METRICS = "formant_band_mass,formant_band_lift,f0_band_mass,f0_band_lift"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the benchmark grid and print one table per task",
                       description="Run task x method x metric on the embedded synthetic corpus. "
                                   "Rows are stored per sample; a rerun resumes and reuses cached models.")
    p.add_argument("--methods", default=DEFAULT_METHODS,
                   help=f"comma-separated method specs (NAME or NAME@KEY=VALUE,..., e.g. gradcam@layer=layer3), "
                        f"wildcards, or 'all' (default: {DEFAULT_METHODS}); see `specxai-bench list methods`")
    p.add_argument("--metrics", default=DEFAULT_METRICS,
                   help="comma-separated metric specs (e.g. formant_band_lift@formants=1), wildcards, or 'all' "
                        "(default: the linguistic metrics)")
    p.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated tasks (default: {','.join(TASKS)})")
    p.add_argument("--corpus", default="synthetic",
                   help="synthetic (embedded, default), aligned:PATH (wav + .PHN/.TextGrid folder, TIMIT layout "
                        "included) or ljspeech:ROOT,ALIGNMENTS (LJSpeech-1.1 + MFA TextGrids)")
    p.add_argument("--profile", default="auto", choices=["auto", *PROFILES],
                   help="auto = paper on CUDA, cpu otherwise (default: auto)")
    p.add_argument("--arch", default=None, help="override the profile's architecture (e.g. resnet101)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", type=Path, default=Path("specxai-output"),
                   help="folder for results, checkpoints and the manifest (default: ./specxai-output)")
    p.add_argument("--target", default="true", choices=["true", "predicted"],
                   help="class to attribute: the true class (default) or the model's prediction")
    p.add_argument("--retrain", action="store_true", help="train the models again even if cached")
    p.add_argument("--batch-size", type=int, default=16, help="attribution batch size (default: 16)")
    p.add_argument("--max-samples", type=int, default=0,
                   help="attribute only the first N test samples of each class per task (0 = all, default); "
                        "for expensive methods such as scorecam or occlusion on a CPU")
    p.add_argument("--weights", type=Path, default=None,
                   help="initial backbone weights: a torchvision state dict file for --arch (e.g. ImageNet); "
                        "the classifier head is new. Default: from scratch")
    p.add_argument("--call-timeout", type=float, default=600.0,
                   help="seconds allowed per method or metric call on one batch (default 600; 0 = none)")
    add_size_options(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=execute)


def add_size_options(p: argparse.ArgumentParser) -> None:
    """Reduced-size runs (shared with `study`): override the profile's epochs, image size, corpus size and the
    training segments per class."""
    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help="override the profile's (maximum) training epochs, e.g. a reduced `paper` run on a CPU")
    p.add_argument("--image-size", type=int, default=None, metavar="PX",
                   help=f"override the profile's image size in pixels (at least {SIZE_OVERRIDES['image_size']})")
    p.add_argument("--speakers-per-group", type=int, default=None, metavar="N",
                   help="override the synthetic corpus's speakers per group (men / women / children; at least "
                        f"{SIZE_OVERRIDES['speakers_per_group']})")
    p.add_argument("--max-train-per-class", type=int, default=None, metavar="N",
                   help="train on at most N segments per class, drawn round-robin over speakers (0 = all; default: "
                        "the profile's: cpu 500, paper all); part of the model's config")


def config_from_args(args: argparse.Namespace) -> "RunConfig":
    """The RunConfig of parsed `run` (or `study`) arguments: each field from the option of its name."""
    from dataclasses import fields

    from ..experiment import RunConfig
    from ..registry import split_specs

    values = {f.name: getattr(args, f.name) for f in fields(RunConfig) if hasattr(args, f.name)}
    values["progress"] = not args.no_progress
    for key in ("methods", "metrics", "tasks"):
        values[key] = tuple(split_specs(values[key]))
    return RunConfig(**values)


def execute(args: argparse.Namespace) -> int:
    from ..experiment import plan
    from ..metrics import METRICS
    from ..registry import parse_spec
    from ..results.tables import run_board, task_tables
    from ..runner import run

    cfg = config_from_args(args)
    checked = plan(cfg)  # unknown names and bad options exit here, before any work
    summary = run(cfg)
    if is_reporter():  # under torchrun, rank 0 prints the tables; the other ranks only errors
        scope = {(o.task, o.model, cfg.target): set(o.samples) for o in summary.outcomes}
        metric_ids = {METRICS.create(spec).id for spec in checked.metrics}
        methods = [parse_spec(spec).name for spec in checked.methods]
        board = run_board(summary.store_path, scope, metric_ids, methods, cfg.command())
        tables = task_tables(board, [o.task for o in summary.outcomes],
                             {o.task: o.model_meta | {"profile": summary.profile.name} for o in summary.outcomes})
        for text in tables.values():
            print(text)
        print(f"rows: {summary.store_path}  manifest: {summary.store_path.parent / 'manifest.json'}")
    return exit_status(summary.failures)


def exit_status(failures: list[str]) -> int:
    """3 when a method or metric failed for some sample (the run is partial; rank 0 lists why), else 0.

    Every rank returns the same status: the failures are gathered from all ranks (shared with `study`)."""
    if not failures:
        return 0
    if is_reporter():
        print(f"\n{len(failures)} failure(s); the run is partial:", file=sys.stderr)
        for f in failures:
            print(f"  - {f}", file=sys.stderr)
    return 3
