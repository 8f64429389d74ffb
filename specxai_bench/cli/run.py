"""`specxai-bench run`: build data, train or load models, attribute, score, print tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .. import defaults
from .config import add_config_option
from .output import add_format_option, add_quiet_option
from . import arguments

if TYPE_CHECKING:
    from ..experiment import RunConfig
    from ..results.board import Board
    from ..runner import RunSummary

DEFAULT_METHODS = "cam,gradcam"
DEFAULT_METRICS = "formant_band_mass,formant_band_lift,f0_band_mass,f0_band_lift"
READING_BASELINES = ",".join(defaults.READING_BASELINES)  # scored by every run unless --baselines none
# one line under the tables: what the numbers mean
RUN_LEGEND = ("Legend: ↑ higher is better, ↓ lower. Lift = the map's share of mass in the band / the band's share "
              "of the image: 1 = chance (a uniform map), 2 = twice chance; mass and share lie in [0, 1]. "
              "† = model-free baseline: read a method against the best of them. Cell: mean [95 % CI] n, #rank.")
HELP = "run the benchmark grid and print one table per task"


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..data.tasks import TASKS
    from ..model.profiles import PROFILES

    p = sub.add_parser("run", help=HELP,
                       description="Run task x method x metric on the embedded synthetic corpus. "
                                   "Rows are stored per sample; a rerun resumes and reuses cached models.")
    p.add_argument("--methods", default=DEFAULT_METHODS,
                   help=f"comma-separated method specs (NAME or NAME@KEY=VALUE,..., e.g. gradcam@layer=layer3), "
                        f"wildcards, or 'all' (default: {DEFAULT_METHODS}); see `specxai-bench list methods`")
    p.add_argument("--baselines", default=READING_BASELINES,
                   help=f"model-free methods scored beside --methods so the table can be read (default: "
                        f"{READING_BASELINES}); 'none' for none")
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
    p.add_argument("--seed", type=arguments.seed, default=0,
                   help="corpus, split, sample draw and (by default) training")
    add_train_seed_option(p)
    p.add_argument("--output", type=arguments.folder, default=Path("specxai-output"),
                   help="folder for results, checkpoints and the manifest (default: ./specxai-output)")
    p.add_argument("--target", default="true", choices=["true", "predicted"],
                   help="class to attribute: the true class (default) or the model's prediction")
    p.add_argument("--retrain", action="store_true", help="train the models again even if cached")
    p.add_argument("--batch-size", type=int, default=16, help="attribution batch size (default: 16)")
    p.add_argument("--max-samples", type=int, default=0,
                   help="attribute N test samples of each class per task, drawn round-robin over the test "
                        "speakers and the class's labels (0 = all, default; the manifest records the draw); "
                        "for expensive methods such as scorecam or occlusion on a CPU")
    p.add_argument("--weights", type=Path, default=None,
                   help="initial backbone weights: a torchvision state dict file for --arch (e.g. ImageNet); "
                        "the classifier head is new. Default: from scratch. With --classes: a finished model")
    p.add_argument("--classes", default=None, metavar="C1,C2,...",
                   help="--weights is a finished torchvision ResNet (its own fc) whose outputs are these classes, "
                        "in order (e.g. iy,ae,ah,aa,uw): it is evaluated on every speaker, not trained")
    p.add_argument("--call-timeout", type=float, default=600.0,
                   help="seconds allowed per method or metric call on one batch (default 600; 0 = none)")
    p.add_argument("--phn-rate", type=int, default=None, metavar="HZ",
                   help="aligned corpora: the sample rate .PHN offsets count, when not the wav's own (e.g. 16000 "
                        "for TIMIT alignments beside resampled wavs)")
    add_size_options(p)
    add_corpus_options(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bars (they are drawn on a terminal only)")
    add_config_option(p)
    add_format_option(p)
    add_quiet_option(p)
    p.set_defaults(func=execute)


def add_train_seed_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train-seed", type=arguments.seed, default=None, metavar="N",
                   help="seed of the model's initial weights, data order and augmentation (default: --seed); the "
                        "corpus, split and sample draw stay on --seed")


def add_corpus_options(p: argparse.ArgumentParser) -> None:
    """Real-corpus options (shared with `study`): speakers, labels, sample rate, speaker folds."""
    p.add_argument("--speaker-from", default="parent", metavar="WHERE",
                   help="aligned corpus: each wav's speaker is its parent folder (default), grandparent "
                        "(speaker/chapter/utt, LibriTTS), a folder depth N below the root, or csv (speakers.csv "
                        "with file,speaker columns)")
    p.add_argument("--label-folding", default="none", choices=["none", "timit"],
                   help="none (default): reduced vowels (ax, ix, AH0, schwa) stay apart from full vowels; timit: "
                        "fold them as TIMIT's 39-phone recognition set does (schwa into ah)")
    p.add_argument("--sample-rate", type=int, default=None, metavar="HZ",
                   help="resample the corpus down to this rate (never up; default: the corpus's own)")
    p.add_argument("--folds", type=int, default=0, metavar="K",
                   help="speaker k-fold cross-validation: 0 = auto (a real corpus of fewer than 10 speakers gets "
                        "4 folds), 1 = one train/validation/test split, K >= 3 = K folds")
    p.add_argument("--split-by", default="speaker", choices=["speaker", "utterance"],
                   help="split by speaker (default) or by utterance (the same voices on both sides: speaker "
                        "leakage; only for corpora of one or two speakers)")


def add_size_options(p: argparse.ArgumentParser) -> None:
    """Reduced-size runs (shared with `study`): override the profile's epochs, image size, corpus size and the
    training segments per class."""
    from ..model.profiles import SIZE_OVERRIDES

    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help="override the profile's (maximum) training epochs, e.g. a reduced `paper` run on a CPU (default: "
                        "the profile's; 1.5x on --corpus synthetic:hard)")
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
    values["progress"] = not (args.no_progress or getattr(args, "quiet", False))
    for key in ("methods", "metrics", "tasks"):
        values[key] = tuple(split_specs(values[key]))
    baselines = getattr(args, "baselines", "none")
    if baselines.strip().lower() != "none":  # added after the methods asked for, once each
        values["methods"] += tuple(b for b in split_specs(baselines) if b not in values["methods"])
    if values.get("classes") is not None:
        values["classes"] = tuple(c.strip() for c in values["classes"].split(",") if c.strip())
    return RunConfig(**values)


def execute(args: argparse.Namespace) -> int:
    from ..experiment import plan
    from ..metrics import METRICS
    from ..registry import parse_spec
    from ..results.tables import run_board, task_tables
    from ..runner import run
    from ..runtime.distributed import is_reporter

    cfg = config_from_args(args)
    checked = plan(cfg)  # unknown names and bad options exit here, before any work
    summary = run(cfg)
    if is_reporter():  # under torchrun, rank 0 prints the tables; the other ranks only errors
        scope = {(o.task, o.model, cfg.target): set(o.samples) for o in summary.outcomes}
        metric_ids = {METRICS.create(spec).id for spec in checked.metrics}
        methods = [parse_spec(spec).name for spec in checked.methods]
        board = run_board(summary.store_path, scope, metric_ids, methods, cfg.command())
        if args.format == "json":
            print(run_document(board, summary, cfg.command()))
        else:
            tables = task_tables(board, [o.task for o in summary.outcomes],
                                 {o.task: o.model_meta | {"profile": summary.profile.name} for o in summary.outcomes})
            for text in tables.values():
                print(text)
            print(RUN_LEGEND)
            print(stage_line(summary.stage_seconds))
            print(f"rows: {summary.store_path}  manifest: {summary.store_path.parent / 'manifest.json'}")
    return exit_status(summary.failures)


def stage_line(stage_seconds: dict[str, float]) -> str:
    """This invocation's stage times (a rerun shows its own: cached models load in seconds)."""
    parts = [f"{k} {v:.1f} s" for k, v in stage_seconds.items()]
    return f"stage times of this run: {', '.join(parts)}; total {sum(stage_seconds.values()):.1f} s"


def run_document(board: "Board | None", summary: "RunSummary", command: str) -> str:
    """`run --format json`: the run, its command, each task's model and cells, stage times and failures."""
    from ..results.aggregate import is_baseline
    from .output import dumps

    cells = [] if board is None else board.overall.to_dict("records")
    tasks = {}
    for o in summary.outcomes:
        meta = {k: v for k, v in o.model_meta.items() if k != "history"}
        tasks[o.task] = {"model": meta, "cells": [c | {"baseline": is_baseline(c["method"])} for c in cells
                                                  if c["task"] == o.task and c["model"] == o.model]}
    return dumps({"run": summary.run_id, "command": command, "profile": summary.profile.name,
                  "device": summary.device, "target": summary.target, "store": str(summary.store_path),
                  "manifest": str(summary.store_path.parent / "manifest.json"), "tasks": tasks,
                  "stage_seconds": summary.stage_seconds, "failures": summary.failures})


def exit_status(failures: list[str]) -> int:
    """3 when a method or metric failed for some sample (the run is partial; rank 0 lists why), else 0.

    Every rank returns the same status: the failures are gathered from all ranks (shared with `study`)."""
    from ..runtime.distributed import is_reporter

    if not failures:
        return 0
    if is_reporter():
        print(f"\n{len(failures)} failure(s); the run is partial:", file=sys.stderr)
        for f in failures:
            print(f"  - {f}", file=sys.stderr)
    return 3
