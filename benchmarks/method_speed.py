"""Seconds per sample of each registered attribution method at its default budget.

One untrained ResNet (default ResNet-18) at 224 px, one batch (default 8) of seeded noise images,
each method called once on the batch after one warm-up forward pass of the model. Speed does not
depend on the weights. Rows print as they finish, then the table sorted by cost.

    python -m benchmarks.method_speed [--arch resnet18] [--size 224] [--batch 8] [--methods 'grad*'] \
        [--exclude 'scorecam,ablationcam,occlusion'] [--json PATH]

Score-CAM, Ablation-CAM and Occlusion loop over samples (hundreds of forward passes each), so
their seconds per sample hardly depend on the batch: time them on fewer images with
``--slow 'scorecam,ablationcam,occlusion' --slow-batch 1`` (what ``python -m benchmarks`` does).

On a shared machine the numbers are noisy (+-30 % or worse); the load average is printed with them.
When other processes keep the cores busy, ``--threads 1`` can be faster than two competing threads.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import time
from pathlib import Path

import torch
from tabulate import tabulate

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.io import atomic_write_text
from specxai_bench.methods import METHODS
from specxai_bench.model.classifier import SpectrogramClassifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--methods", default="all", help="comma-separated names or wildcards")
    parser.add_argument("--exclude", default="", help="comma-separated names or wildcards to leave out")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--slow", default="", help="methods (names or wildcards) timed on only --slow-batch images")
    parser.add_argument("--slow-batch", type=int, default=1, help="images for the --slow methods")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = SpectrogramClassifier(args.arch, 5).eval()
    images = torch.rand(args.batch, 1, args.size, args.size, generator=torch.Generator().manual_seed(0))
    targets = torch.arange(args.batch) % 5
    axis = FrequencyAxis(0.0, 11025.0, args.size)  # the full band of the synthetic corpus's 22,050 Hz
    with torch.no_grad():
        model(images)  # warm-up

    print(f"{args.arch} {args.size}px batch {args.batch}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}, "
          f"load average before {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    excluded = [e for e in args.exclude.split(",") if e]
    slow = [e for e in args.slow.split(",") if e]
    for name in METHODS.resolve(args.methods):
        if any(fnmatch.fnmatchcase(name, e) for e in excluded):
            continue
        method = METHODS.get(name)(model).with_axis(axis)  # band_prior places its map by frequency
        n = args.slow_batch if any(fnmatch.fnmatchcase(name, e) for e in slow) else args.batch
        start = time.perf_counter()
        method.attribute(images[:n], targets[:n])
        seconds = time.perf_counter() - start
        delta = getattr(method, "last_delta", None)
        note = f"max |delta| {delta.abs().max():.2g}" if delta is not None else ""
        row = [name, method.layer_name, "x".join(map(str, method.native_resolution(args.size))),
               seconds / n, method.options() or "", note, n]
        rows.append(row)
        print(f"  {name}: {row[3]:.3f} s/sample (load {os.getloadavg()[0]:.1f})", flush=True)
    rows.sort(key=lambda r: r[3])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.json, json.dumps({
            "arch": args.arch, "size": args.size, "batch": args.batch, "threads": torch.get_num_threads(),
            "load_average_after": os.getloadavg()[0],
            "methods": [{"method": r[0], "layer": r[1], "native_grid": r[2], "seconds_per_sample": r[3],
                         "options": r[4] or {}, "note": r[5], "batch": r[6]} for r in rows]}, indent=2, default=str) + "\n")
    print(tabulate(rows, headers=["method", "layer", "native grid", "s / sample", "options", "note", "batch"],
                   floatfmt=".3f"))


if __name__ == "__main__":
    main()
