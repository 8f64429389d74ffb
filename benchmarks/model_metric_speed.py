"""Seconds per sample of the model-side Quantus-family metrics on the CPU profile's model.

ResNet-18 (seeded, untrained: the cost does not depend on the weights), 3 classes, images of
224 x 224 in [0, 1], Grad-CAM maps (layer4, upsampled from 7x7), one batch of ``--batch``
samples scored once by each metric at its default parameters. Prints one line per metric:
id, seconds per sample, the scores. The figures in docs/metrics.md ("cost on a 2-core CPU")
come from this script.

    python benchmarks/model_metric_speed.py [--batch 4] [--size 224] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.methods import METHODS
from specxai_bench.metrics import METRICS, ScoringBatch
from specxai_bench.model.classifier import SpectrogramClassifier

NAMES = ("faithfulness_correlation", "road", "max_sensitivity", "complexity_entropy", "band_deletion")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--method", default="gradcam")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = SpectrogramClassifier("resnet18", 3).eval()
    images = torch.rand(args.batch, 1, args.size, args.size, generator=torch.Generator().manual_seed(1))
    targets = torch.arange(args.batch) % 3
    method = METHODS.get(args.method)(model)
    t = time.perf_counter()
    maps = method.attribute(images, targets)
    per = (time.perf_counter() - t) / args.batch
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, torch threads {args.threads}")
    print(f"{args.method}: {per:.3f} s/sample")
    nan = np.full((args.batch, args.size), np.nan)
    batch = ScoringBatch(maps, images, targets, nan, np.full((args.batch, args.size, 3), np.nan),
                         FrequencyAxis(0.0, 4000.0, args.size), model, method)
    for name in NAMES:
        metric = METRICS.get(name)()
        t = time.perf_counter()
        scores = metric.score(batch)
        per = (time.perf_counter() - t) / args.batch
        print(f"{metric.id}: {per:.3f} s/sample  scores {np.round(scores, 3).tolist()}")


if __name__ == "__main__":
    main()
