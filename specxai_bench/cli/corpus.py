"""``specxai-bench corpus export OUT [--seed N] [--style mfa]`` and ``specxai-bench corpus stats PATH``.

``export`` writes the synthetic corpus as an aligned corpus (wav + .PHN + .TextGrid per
utterance, or MFA / LibriTTS-style with ``--style mfa``); ``stats`` loads an aligned folder (or LJSpeech with ``--alignments``) without
measuring tracks and prints counts per label and speaker, durations and the load report.
Each subcommand sets ``func(args) -> int`` (the exit code) for the main CLI to call.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..data.corpora.base import Corpus

from . import arguments

HELP = "export the synthetic corpus; describe an aligned corpus"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``corpus`` with its ``export`` and ``stats`` subcommands to the main CLI's subparsers."""
    corpus = subparsers.add_parser(
        "corpus", help=HELP,
        description="Write the synthetic corpus as wav + .PHN + .TextGrid files, or describe an aligned corpus.")
    sub = corpus.add_subparsers(dest="corpus_command", metavar="{export,stats}", required=True)

    export = sub.add_parser("export", help="write the synthetic corpus as wav + .PHN + .TextGrid files")
    export.add_argument("out", type=arguments.folder, metavar="OUT",
                        help="folder to create (must not exist or be empty)")
    export.add_argument("--seed", type=arguments.seed, default=0, help="synthetic corpus seed (default 0)")
    export.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    export.add_argument("--style", default="toolkit", choices=["toolkit", "mfa"],
                        help="toolkit: speaker/utt wav + .PHN + .TextGrid (default); mfa: as a LibriTTS-style corpus "
                             "aligned by MFA (speaker/chapter/ nesting, TextGrids in ARPAbet with stress digits, "
                             "speakers.csv with a gender column)")
    export.add_argument("--speakers-per-group", type=int, default=None, metavar="N",
                        help="synthetic speakers per group (men / women / children; default: the corpus's 12)")
    export.add_argument("--speakers", type=int, default=None, metavar="N",
                        help="write only the first N speakers (men, then women, then children)")
    export.set_defaults(func=run_export)

    stats = sub.add_parser("stats", help="counts per label and speaker, durations, skipped segments")
    stats.add_argument("path", type=Path, metavar="PATH",
                       help="aligned corpus folder (or the LJSpeech-1.1 folder with --alignments)")
    stats.add_argument("--alignments", type=Path, default=None,
                       help="LJSpeech: folder of MFA TextGrids; PATH is then the LJSpeech-1.1 folder")
    stats.add_argument("--sample-rate", type=int, default=None,
                       help="resample down to this rate (default: the corpus's own; never up)")
    stats.add_argument("--speaker-from", default="parent",
                       help="parent, grandparent, csv or a folder depth: where each file's speaker is read")
    stats.add_argument("--label-folding", default="none", choices=["none", "timit"],
                       help="none keeps reduced vowels apart (default); timit folds them into full vowels")
    stats.add_argument("--min-duration", type=float, default=0.03,
                       help="drop segments shorter than this, in seconds (default 0.03)")
    stats.add_argument("--phn-rate", type=int, default=None, metavar="HZ",
                       help="the sample rate .PHN offsets count, when not the wav's own (default: the wav's)")
    stats.set_defaults(func=run_stats)


def run_export(args: argparse.Namespace) -> int:
    from ..data.corpora.export import export_corpus
    from ..data.corpora.synthetic import SyntheticConfig, synthesize
    from ..errors import ConfigError
    from ..io import writable_folder

    writable_folder(args.out, "OUT")  # before the synthesis (a minute): a file in the way or a read-only folder
    config = SyntheticConfig(seed=args.seed)
    if args.speakers_per_group is not None:
        if args.speakers_per_group < 1:
            raise ConfigError(f"--speakers-per-group must be at least 1, got {args.speakers_per_group}")
        config = replace(config, speakers_per_group=args.speakers_per_group)
    corpus = synthesize(config, progress=True)
    if args.speakers is not None:
        speakers = list(dict.fromkeys(s.speaker for s in corpus.segments))
        if not 1 <= args.speakers <= len(speakers):
            raise ConfigError(f"--speakers must be between 1 and the corpus's {len(speakers)}, got {args.speakers}")
        keep = set(speakers[:args.speakers])
        corpus = Corpus(corpus.name, tuple(s for s in corpus.segments if s.speaker in keep), corpus.description)
    out = export_corpus(corpus, args.out, overwrite=args.overwrite, style=args.style)
    print(f"wrote {len(corpus)} segments of corpus {corpus.name!r} (seed {args.seed}) to {out}")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    options = dict(sample_rate=args.sample_rate, min_duration=args.min_duration, measure_tracks=False,
                   folding=args.label_folding)
    if args.alignments is not None:
        from ..data.corpora.ljspeech import load_ljspeech

        if args.phn_rate is not None:
            from ..errors import ConfigError

            raise ConfigError("--phn-rate is for .PHN alignments; LJSpeech's alignments are TextGrids (in seconds)")

        corpus, report = load_ljspeech(args.path, args.alignments, **options)
    else:
        from ..data.corpora.aligned import load_aligned_folder

        corpus, report = load_aligned_folder(args.path, speaker_from=args.speaker_from, phn_rate=args.phn_rate,
                                             **options)
    print(format_stats(corpus))
    print()
    print(report.summary())
    return 0


def format_stats(corpus: Corpus) -> str:
    """Plain-text table: segments per label and per speaker (with group), durations in ms."""
    import numpy as np

    labels = Counter(s.label for s in corpus.segments)
    speakers = Counter(s.speaker for s in corpus.segments)
    group = {s.speaker: s.group for s in corpus.segments}
    ms = 1000 * np.array([s.duration for s in corpus.segments])
    lines = [f"corpus {corpus.name}: {len(corpus)} segments, {len(labels)} labels, {len(speakers)} speakers, "
             f"{len({s.utterance for s in corpus.segments})} utterances",
             f"duration ms: mean {ms.mean():.1f}  min {ms.min():.1f}  max {ms.max():.1f}", "", "per label:"]
    lines += [f"  {lab:<4} {n:>7}" for lab, n in sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines += ["", "per speaker:"]
    lines += [f"  {spk:<12} {group[spk]:<9} {n:>7}" for spk, n in sorted(speakers.items())]
    return "\n".join(lines)
