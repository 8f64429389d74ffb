"""`specxai-bench run`: build data, train or load models, attribute, score, print tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..distributed import is_reporter
from ..metrics import METRICS
from ..profiles import PROFILES, SIZE_OVERRIDES
from ..tasks import TASKS

DEFAULT_METHODS = "cam,gradcam"
DEFAULT_METRICS = "formant_band_mass,formant_band_lift,f0_band_mass,f0_band_lift"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the benchmark grid and print one table per task",
                       description="Run task x method x metric on the embedded synthetic corpus. "
                                   "Rows are stored per sample; a rerun resumes and reuses cached models.")
    p.add_argument("--methods", default=DEFAULT_METHODS,
                   help=f"comma-separated method names or wildcards, or 'all' (default: {DEFAULT_METHODS}); "
                        "see `specxai-bench list methods`")
    p.add_argument("--metrics", default=DEFAULT_METRICS,
                   help="comma-separated metric names or wildcards, or 'all' (default: the linguistic metrics)")
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
    """Reduced-size runs (shared with `study`): override the profile's epochs, image size and corpus size."""
    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help="override the profile's (maximum) training epochs, e.g. a reduced `paper` run on a CPU")
    p.add_argument("--image-size", type=int, default=None, metavar="PX",
                   help=f"override the profile's image size in pixels (at least {SIZE_OVERRIDES['image_size']})")
    p.add_argument("--speakers-per-group", type=int, default=None, metavar="N",
                   help="override the synthetic corpus's speakers per group (men / women / children; at least "
                        f"{SIZE_OVERRIDES['speakers_per_group']})")


def size_overrides(args: argparse.Namespace) -> dict[str, int | None]:
    """The RunConfig fields of :func:`add_size_options` (None: the profile's value)."""
    return {name: getattr(args, name) for name in SIZE_OVERRIDES}


def execute(args: argparse.Namespace) -> int:
    from ..results import ResultStore
    from ..runner import RunConfig, run, validate
    from ..tables import task_tables

    cfg = RunConfig(
        methods=tuple(args.methods.split(",")), metrics=tuple(args.metrics.split(",")),
        tasks=tuple(args.tasks.split(",")), corpus=args.corpus, profile=args.profile, arch=args.arch, device=args.device,
        seed=args.seed, output=args.output, retrain=args.retrain, target=args.target,
        batch_size=args.batch_size, max_samples=args.max_samples, weights=args.weights,
        call_timeout=args.call_timeout, progress=not args.no_progress, **size_overrides(args))
    methods, metric_names, *_ = validate(cfg)  # unknown names exit here, before any work
    summary = run(cfg)
    if is_reporter():  # under torchrun, rank 0 prints the tables; the other ranks only errors
        scope = {(o.task, o.model): set(o.samples) for o in summary.outcomes}
        metric_ids = {METRICS.get(name)().id for name in metric_names}
        with ResultStore(summary.store_path) as store:
            tables = task_tables(store, methods=methods, scope=scope, metrics=metric_ids, target=cfg.target)
        for task in cfg.tasks:
            if task in tables:
                print(tables[task])
            else:  # nothing scored (no metric applies): the shortcut task's band removal test still shows
                from ..shortcut import format_band_check
                for check in (o.model_meta.get("band_removal") for o in summary.outcomes if o.task == task):
                    if check:
                        print(f"### {task}: no metric scored\n\n{format_band_check(task, check)}\n")
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
