"""How much the synthetic corpus's classes overlap, without a network: easy, hard and an earlier setting.

Model-free measures of a corpus's difficulty, to compare settings side by side:

- from the true formants alone: per token, the median true F1-F3 over its middle half; per group
  and vowel, the coefficient of variation of F1 and F2 (Hillenbrand et al. 1995 report about
  5-11 % within a group); and a linear discriminant (scikit-learn) on log F1-F3 trained on half
  the speakers and tested on the rest, with its confusion matrix;
- from the images (what noise and rooms change, which the formants do not show): for each task,
  a linear probe (PCA to 40 dimensions, then logistic regression) on each image's mean spectrum
  over its middle half and its three thirds, trained on the task's training speakers and scored on
  its test speakers (the cpu profile's splits, 112 px images).

Usage: python -m benchmarks.corpus_overlap
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import confusion_matrix

from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize, variant
from specxai_bench.data.corpora.targets import VOWELS
from specxai_bench.data.datasets import build_task_data
from specxai_bench.data.tasks import TASKS
from specxai_bench.io import atomic_write_text


SETTINGS = {"previous (speaker 4 %, token 3 %)": SyntheticConfig(speaker_sd=0.04, token_sd=0.03),
            "default": SyntheticConfig(), "hard": variant(SyntheticConfig(), "hard")}
PROBED = ("default", "hard")  # the image probe needs every segment's spectrogram: only the two corpora in use


def token_formants(cfg: SyntheticConfig) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Median true F1-F3 of each vowel token's middle half, with its label, group and speaker."""
    corpus = synthesize(replace(cfg, consonant_tokens=0))
    feats, labels, groups, speakers = [], [], [], []
    for seg in corpus.segments:
        if seg.label not in VOWELS:
            continue
        fm = seg.tracks.formants
        n = len(fm)
        feats.append(np.nanmedian(fm[n // 4: max(n // 4 + 1, 3 * n // 4)], axis=0))
        labels.append(seg.label)
        groups.append(seg.group)
        speakers.append(seg.speaker)
    return np.array(feats), labels, groups, speakers


def overlap(cfg: SyntheticConfig) -> dict:
    x, labels, groups, speakers = token_formants(cfg)
    y = np.array(labels)
    g = np.array(groups)
    cv = {f"{grp}/{v}": [float(np.std(x[(g == grp) & (y == v), k]) / np.mean(x[(g == grp) & (y == v), k]))
                         for k in (0, 1)] for grp in sorted(set(groups)) for v in VOWELS}
    spk = sorted(set(speakers))
    test_spk = set(spk[1::2])
    test = np.array([s in test_spk for s in speakers])
    lda = LinearDiscriminantAnalysis().fit(np.log(x[~test]), y[~test])
    pred = lda.predict(np.log(x[test]))
    cm = confusion_matrix(y[test], pred, labels=list(VOWELS))
    return {"config": repr(cfg), "tokens": int(len(y)), "lda_accuracy": float(np.mean(pred == y[test])),
            "confusion": {"labels": list(VOWELS), "matrix": cm.tolist()},
            "median_cv_F1": float(np.median([v[0] for v in cv.values()])),
            "median_cv_F2": float(np.median([v[1] for v in cv.values()])), "cv_per_group_vowel": cv}


def _profile_features(images: np.ndarray) -> np.ndarray:
    """Each image's mean spectrum over its middle half and over each third of its columns."""
    w = images.shape[2]
    parts = [images[:, :, w // 4: 3 * w // 4]] + [images[:, :, i * w // 3:(i + 1) * w // 3] for i in range(3)]
    return np.concatenate([p.mean(2) for p in parts], 1)


def image_probe(cfg: SyntheticConfig, size: int = 112) -> dict[str, float]:
    """Test accuracy per task of a linear probe on the images' spectral profiles (speaker-disjoint splits)."""
    corpus = synthesize(cfg)
    out = {}
    for name in ("vowel5", "vowel5-4k", "voicing"):
        data = build_task_data(TASKS[name], corpus, size, cfg.seed, progress=False)
        x = {k: _profile_features(v.images[:, 0].numpy()) for k, v in data.items()}
        probe = make_pipeline(PCA(40, random_state=0), LogisticRegression(max_iter=3000))
        probe.fit(x["train"], data["train"].targets.numpy())
        out[name] = float(probe.score(x["test"], data["test"].targets.numpy()))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", type=Path, default=Path("benchmarks/results/corpus_overlap.json"))
    args = p.parse_args()
    out = {name: overlap(cfg) for name, cfg in SETTINGS.items()}
    for name in PROBED:
        out[name]["image_probe_accuracy"] = image_probe(SETTINGS[name])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.json, json.dumps(out, indent=2) + "\n")
    for name, r in out.items():
        print(f"{name}: LDA on log true F1-F3, speaker-disjoint halves: {r['lda_accuracy']:.1%} "
              f"(median within-group CV: F1 {r['median_cv_F1']:.1%}, F2 {r['median_cv_F2']:.1%})")
        print("  confusion (rows true, columns predicted, order " + " ".join(r["confusion"]["labels"]) + "):")
        for row in r["confusion"]["matrix"]:
            print("   ", " ".join(f"{v:4d}" for v in row))
        if "image_probe_accuracy" in r:
            print("  linear probe on the images' spectral profiles, test accuracy: "
                  + ", ".join(f"{t} {v:.1%}" for t, v in r["image_probe_accuracy"].items()))


if __name__ == "__main__":
    main()
