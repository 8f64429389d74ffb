"""Seconds per sample of each registered attribution method at its default budget.

One untrained ResNet (default ResNet-18) at 224 px, one batch (default 8) of seeded noise images,
each method called once on the batch after one warm-up forward pass of the model. Speed does not
depend on the weights. Rows print as they finish, then the table sorted by cost.

    python benchmarks/method_speed.py [--arch resnet18] [--size 224] [--batch 8] [--methods 'grad*'] \
        [--exclude 'scorecam,ablationcam,occlusion']

Score-CAM, Ablation-CAM and Occlusion loop over samples (hundreds of forward passes each), so
their seconds per sample hardly depend on the batch: time them with a smaller ``--batch``.

On a shared machine the numbers are noisy (+-30 % or worse); the load average is printed with them.
When other processes keep the cores busy, ``--threads 1`` can be faster than two competing threads.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import platform
import time

import torch
from tabulate import tabulate

from specxai_bench.methods import METHODS
from specxai_bench.models import SpectrogramClassifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="resnet18")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--methods", default="all", help="comma-separated names or wildcards")
    parser.add_argument("--exclude", default="", help="comma-separated names or wildcards to leave out")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = SpectrogramClassifier(args.arch, 5).eval()
    images = torch.rand(args.batch, 1, args.size, args.size, generator=torch.Generator().manual_seed(0))
    targets = torch.arange(args.batch) % 5
    with torch.no_grad():
        model(images)  # warm-up

    print(f"{args.arch} {args.size}px batch {args.batch}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}, "
          f"load average before {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    excluded = [e for e in args.exclude.split(",") if e]
    for name in METHODS.resolve(args.methods):
        if any(fnmatch.fnmatchcase(name, e) for e in excluded):
            continue
        method = METHODS.get(name)(model)
        start = time.perf_counter()
        method.attribute(images, targets)
        seconds = time.perf_counter() - start
        delta = getattr(method, "last_delta", None)
        note = f"max |delta| {delta.abs().max():.2g}" if delta is not None else ""
        row = [name, method.layer_name, "x".join(map(str, method.native_resolution(args.size))),
               seconds / args.batch, method.options() or "", note]
        rows.append(row)
        print(f"  {name}: {row[3]:.3f} s/sample (load {os.getloadavg()[0]:.1f})", flush=True)
    rows.sort(key=lambda r: r[3])
    print(tabulate(rows, headers=["method", "layer", "native grid", "s / sample", "options", "note"],
                   floatfmt=".3f"))


if __name__ == "__main__":
    main()
