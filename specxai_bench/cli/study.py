"""`specxai-bench study cutoff|groups|cross-corpus`: the study's open checks as runs with tables.

Each study runs the grid like `specxai-bench run` (models and rows are cached and resumed in
--output) and writes its table to --out (default: the --output folder, so a study run from the
project root never writes into the committed leaderboards/) as Markdown and CSV, with the
command and the runs' provenance at the bottom. docs/scaling.md describes them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import arguments
from .config import add_config_option
from .output import add_quiet_option
from .run import add_corpus_options, add_size_options, config_from_args, exit_status

DEFAULT_METHODS = ("cam", "gradcam", "input_energy")  # input_energy: the baseline to clear
# the linguistic lifts (1 = chance) and masses; each applies to the tasks its definition fits
DEFAULT_METRICS = ("formant_band_lift", "formant_band_mass", "f0_band_lift", "f0_band_mass")
SEEDS_METHODS = ("cam", "gradcam", "integrated_gradients", "lrp_epsilon")  # study seeds: Shen et al.'s question


HELP = "the study's open checks: frequency cut-off, speaker groups, cross-corpus"


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..model.profiles import PROFILES

    p = sub.add_parser("study", help=HELP,
                       description="Run one of the study's open checks and write its table (Markdown + CSV, with "
                                   "provenance) to --out.")
    studies = p.add_subparsers(dest="study", metavar="{cutoff,groups,cross-corpus,seeds}", required=True)
    cut = studies.add_parser("cutoff", help="vowel5 at 2, 3, 4, 5 kHz and full band: accuracy and formant lift")
    grp = studies.add_parser("groups", help="accuracy and metrics per speaker group (men / women / children, or a "
                                            "metadata column)")
    grp.add_argument("--tasks", default="vowel5,vowel5-4k,voicing", help="tasks (default: the paper's three)")
    grp.add_argument("--speaker-metadata", type=Path, default=None, metavar="CSV",
                     help="CSV with a 'speaker' column and the --group-column (default: the corpus's own groups)")
    grp.add_argument("--group-column", default="group", help="column of --speaker-metadata to group by")
    cross = studies.add_parser("cross-corpus", help="train on --corpus, evaluate accuracy and metrics on "
                                                    "--eval-corpus")
    cross.add_argument("--tasks", default="vowel5-4k,voicing", help="tasks (default: vowel5-4k,voicing)")
    cross.add_argument("--eval-corpus", required=True,
                       help="corpus to evaluate on: synthetic (with --eval-seed), aligned:PATH or "
                            "ljspeech:ROOT,ALIGNMENTS")
    cross.add_argument("--eval-seed", type=arguments.seed, default=None,
                       help="seed of the evaluation corpus when it is synthetic (default: --seed); its speaker "
                            "split, like every split, follows --seed")
    cross.add_argument("--eval-splits", default="test",
                       help="which speaker splits of the evaluation corpus to score: test (default), or e.g. "
                            "train,val,test for all its speakers")
    seeds = studies.add_parser("seeds", help="N models on identical data (--train-seed): agreement of their maps, "
                                             "metric SD between seeds beside the CI")
    seeds.add_argument("--tasks", default="vowel5,voicing", help="tasks (default: vowel5,voicing)")
    seeds.add_argument("--train-seeds", type=int, default=5, metavar="N",
                       help="models per task, trained with --train-seed SEED, SEED+1, ... (default: 5)")
    seeds.add_argument("--top-share", type=float, default=0.1,
                       help="share of cells by |A| whose IoU between seeds is reported (default: 0.1)")
    seeds.add_argument("--max-samples", type=int, default=0,
                       help="attribute only N test samples per class (0 = all), as for `run`")
    for sp in (cut, grp, cross, seeds):
        sp.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help="methods (default: %(default)s; input_energy is the baseline)")
        sp.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help="metrics (default: the lifts and masses)")
        sp.add_argument("--corpus", default="synthetic", help="training corpus, as for `run` (default: synthetic)")
        sp.add_argument("--profile", default="auto", choices=["auto", *PROFILES])
        sp.add_argument("--arch", default=None)
        sp.add_argument("--device", default="auto")
        sp.add_argument("--seed", type=arguments.seed, default=0)
        add_size_options(sp)
        add_corpus_options(sp)
        sp.add_argument("--batch-size", type=int, default=16, help="attribution batch size")
        sp.add_argument("--weights", type=Path, default=None, help="initial backbone weights, as for `run`")
        sp.add_argument("--output", type=arguments.folder, default=Path("specxai-output"),
                        help="run folder: results, checkpoints (default: specxai-output)")
        sp.add_argument("--out", type=arguments.folder, default=None,
                        help="table folder (default: the --output folder, never the committed leaderboards/)")
        sp.add_argument("--n-resamples", type=int, default=9999, help="bootstrap resamples of speakers")
        sp.add_argument("--retrain", action="store_true")
        sp.add_argument("--no-progress", action="store_true")
        add_config_option(sp)
        add_quiet_option(sp)
        sp.set_defaults(func=execute)
    seeds.set_defaults(methods=",".join(SEEDS_METHODS))


def command_line(args: argparse.Namespace) -> str:
    """The study's command with every option that differs from its default (for the provenance)."""
    parts = ["specxai-bench study", args.study]
    defaults = build_defaults(args.study)
    for key, value in sorted(vars(args).items()):
        if key in ("func", "study", "command", "no_progress", "out", "output", "config", "quiet") \
                or value == defaults.get(key):
            continue
        flag = "--" + key.replace("_", "-")
        parts.append(flag if value is True else f"{flag} {value}")
    return " ".join(parts)


def build_defaults(study: str) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    required = {"cross-corpus": ["--eval-corpus", "x"]}.get(study, [])
    return vars(parser.parse_args(["study", study, *required]))


def execute(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..results.aggregate import BoardConfig
    from ..runtime.distributed import is_reporter
    from ..studies import STUDY_FUNCTIONS

    if args.n_resamples < 100:
        raise ConfigError(f"--n-resamples must be at least 100, got {args.n_resamples}")
    if not hasattr(args, "tasks"):
        args.tasks = "vowel5"  # cutoff: its tasks are the vowel5 cut-off variants
    cfg = config_from_args(args)
    kwargs = {}
    if args.study == "groups":
        kwargs = dict(metadata=args.speaker_metadata, column=args.group_column)
    elif args.study == "seeds":
        kwargs = dict(train_seeds=args.train_seeds, top_share=args.top_share)
    elif args.study == "cross-corpus":
        kwargs = dict(eval_corpus=args.eval_corpus, eval_seed=args.eval_seed,
                      eval_splits=tuple(s.strip() for s in args.eval_splits.split(",") if s.strip()))
    out = args.out if args.out is not None else args.output
    result = STUDY_FUNCTIONS[args.study](cfg, out, command_line(args), BoardConfig(n_resamples=args.n_resamples),
                                         **kwargs)
    if result.files and is_reporter():  # rank 0 writes the tables; the other ranks print only errors
        print(f"{len(result.files)} files in {out}: {', '.join(p.name for p in result.files)}")
    return exit_status(result.failures)  # 3 when a method or metric failed, after the tables are written
