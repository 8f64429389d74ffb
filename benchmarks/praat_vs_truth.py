"""Praat (parselmouth) F1/F2 on the synthetic vowels vs the synthesizer's true values.

Checks the synthesizer and the Praat path against each other: the share of vowel tokens whose
median Praat F1 and F2 over the token's middle half lie within 10 % of the true values (target:
at least 90 %), per group and vowel. Usage: python -m benchmarks.praat_vs_truth [--speakers 12]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize
from specxai_bench.data.corpora.targets import VOWELS
from specxai_bench.data.phonetics import PraatSettings, measure_segment
from specxai_bench.io import atomic_write_text


def middle(x: np.ndarray) -> np.ndarray:
    n = len(x)
    return x[n // 4: max(n // 4 + 1, 3 * n // 4)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--speakers", type=int, default=12, help="speakers per group (the cpu profile's corpus)")
    p.add_argument("--json", type=Path, default=Path("benchmarks/results/praat_vs_truth.json"))
    args = p.parse_args()
    config = SyntheticConfig(speakers_per_group=args.speakers, consonant_tokens=0)
    corpus = synthesize(config)
    # side by side: plain Burg for every token, and the default ("auto": robust for high F0)
    burg = share_within(corpus, PraatSettings(formant_method="burg"))[0]
    total, ok, errors = share_within(corpus, PraatSettings())
    rows = {f"{g}/{v}": {"tokens": len(ok[(g, v)]), "within_10pct": float(np.mean(ok[(g, v)])),
                         "median_rel_error_F1": float(np.median([e[0] for e in errors[(g, v)]])),
                         "median_rel_error_F2": float(np.median([e[1] for e in errors[(g, v)]]))}
            for g, v in sorted(ok)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.json, json.dumps({"share_within_10pct": float(total), "share_within_10pct_burg_only": burg,
                                     "settings": repr(PraatSettings()), "corpus": repr(config),
                                     "per_group_vowel": rows}, indent=2) + "\n")
    print(f"vowel tokens with Praat F1 and F2 within 10 % of the truth: {total:.1%} "
          f"({sum(len(v) for v in ok.values())} tokens; target >= 90 %); Burg only: {burg:.1%}")
    print("| group/vowel | tokens | within 10 % | median |dF1|/F1 | median |dF2|/F2 |\n|---|---|---|---|---|")
    for k, r in rows.items():
        print(f"| {k} | {r['tokens']} | {r['within_10pct']:.0%} | {r['median_rel_error_F1']:.1%} | "
              f"{r['median_rel_error_F2']:.1%} |")


def share_within(corpus, settings: PraatSettings) -> tuple[float, dict, dict]:
    """Share of vowel tokens with F1 and F2 within 10 %, and per (group, vowel) flags and errors."""
    ok = defaultdict(list)
    errors = defaultdict(list)
    for seg in corpus.segments:
        if seg.label not in VOWELS:
            continue
        praat = measure_segment(seg, settings=settings)
        truth = seg.tracks
        rel = []
        for k in (0, 1):
            t_true = np.nanmedian(middle(truth.formants[:, k]))
            mid = (praat.times >= seg.duration / 4) & (praat.times <= 3 * seg.duration / 4)
            t_praat = np.nanmedian(praat.formants[mid, k]) if mid.any() else np.nan
            rel.append(abs(t_praat - t_true) / t_true if np.isfinite(t_praat) else np.inf)
        key = (seg.group, seg.label)
        ok[key].append(max(rel) <= 0.10)
        errors[key].append(rel)
    return float(np.mean([v for vs in ok.values() for v in vs])), ok, errors


if __name__ == "__main__":
    main()
