"""Our vectorised localisation metrics vs Quantus on the same batch and masks, side by side.

One process, one batch of 64 signed maps of 224 x 224 with formant tracks on a full-band axis
(0-11025 Hz, the synthetic corpus' Nyquist). The formant mask is built once from the tracks and
timed on its own; then, given that same mask, each of our metrics and its Quantus counterpart
(called through ``specxai_bench.metrics.quantus_adapters`` with comparable flags) are timed and
compared: speed ratio and max |difference| (targets: >= 250x faster, equal within 1e-6).

    python benchmarks/metric_speed.py [--batch 64] [--size 224] [--repeats 20] [--quantus-repeats 3]

Times are medians of wall-clock runs, ours and Quantus' interleaved; on a shared machine expect
+-30 % (our side is memory-bound, so it suffers more from other jobs than Quantus' Python checks).
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Callable

import numpy as np
import torch

from specxai_bench.metrics import ScoringBatch, quantus_adapters as q
from specxai_bench.metrics.complexity import Sparseness
from specxai_bench.metrics.linguistic import FormantBandMass, pointing_hit, positive_mass_share
from specxai_bench.metrics.masks import formant_mask
from specxai_bench.spectrogram import FrequencyAxis


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def make_batch(b: int, size: int, seed: int = 0) -> ScoringBatch:
    rng = np.random.default_rng(seed)
    maps = rng.standard_normal((b, size, size)).astype(np.float32)
    formants = np.stack([rng.uniform(300, 900, (b, size)), rng.uniform(900, 2500, (b, size)),
                         rng.uniform(2500, 3500, (b, size))], -1)
    return ScoringBatch(torch.from_numpy(maps), torch.rand(b, 1, size, size), torch.zeros(b, dtype=torch.long),
                        np.full((b, size), 120.0), formants, FrequencyAxis(0.0, 11025.0, size))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--repeats", type=int, default=20, help="timed runs of our metrics")
    p.add_argument("--quantus-repeats", type=int, default=3, help="timed runs of each Quantus metric")
    args = p.parse_args()

    batch = make_batch(args.batch, args.size)
    a = batch.attributions.numpy()
    print(f"batch {args.batch} maps of {args.size}x{args.size}; numpy {np.__version__}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} torch threads, {platform.processor() or platform.machine()}")

    FormantBandMass().score(batch)  # warm up
    t_mask = median_seconds(lambda: formant_mask(batch.formants, batch.axis), args.repeats)
    mask = formant_mask(batch.formants, batch.axis)
    print(f"formant mask from tracks (F1-F3, [B, H, W]): {t_mask * 1e3:.2f} ms  (mask share {mask.mean():.3f})")
    t_full = median_seconds(lambda: FormantBandMass().score(batch), args.repeats)
    print(f"formant_band_mass.score(batch), mask included: {t_full * 1e3:.2f} ms\n")

    a64 = a.astype(np.float64)  # Sparseness: order-1 maps keep Quantus' 1e-7 offset below 1e-6
    pairs = [
        ("formant_band_mass vs RelevanceMassAccuracy", lambda: positive_mass_share(a, mask),
         lambda: q.relevance_mass_accuracy(a, mask)),
        ("formant_pointing_game vs PointingGame", lambda: pointing_hit(a, mask), lambda: q.pointing_game(a, mask)),
        ("sparseness vs Sparseness", lambda: Sparseness().score(batch), lambda: q.sparseness(a64)),
    ]
    print(f"{'given the same maps and mask':44s} {'ours ms':>9s} {'Quantus ms':>11s} {'ratio':>8s} {'max |diff|':>11s}")
    for label, ours, theirs in pairs:
        # interleaved, so both sides see the same load on a shared machine: one Quantus run, then
        # `repeats` of ours, `quantus_repeats` times; the ratio is the median of the paired ratios
        theirs()
        paired = [(median_seconds(theirs, 1), median_seconds(ours, args.repeats)) for _ in range(args.quantus_repeats)]
        t_q, t_ours = (float(np.median(x)) for x in zip(*paired))
        ratio = float(np.median([tq / to for tq, to in paired]))
        diff = np.nanmax(np.abs(np.asarray(ours(), np.float64) - theirs()))
        print(f"{label:44s} {t_ours * 1e3:9.2f} {t_q * 1e3:11.1f} {ratio:7.0f}x {diff:11.2e}")


if __name__ == "__main__":
    main()
