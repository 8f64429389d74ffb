"""Our vectorised localisation metrics vs Quantus on the same batch and masks, side by side.

One process, one batch of 64 signed maps of 224 x 224 with formant tracks on a full-band axis
(0-11025 Hz, the synthetic corpus' Nyquist). The formant mask is built once from the tracks and
timed on its own; then, given that same mask, each of our metrics and its Quantus counterpart
(called through ``specxai_bench.metrics.quantus_adapters`` with comparable flags) are timed and
compared: speed ratio and max |difference| (targets: >= 250x faster, equal within 1e-6). Before that,
the metrics added for metric validity (in-band, grid-scored and normalised formant lift, F0-harmonic
mass and lift, widened formant bands) are timed in turn with formant_band_mass, round after round,
each given as its median time per batch and its median ratio to formant_band_mass (target: <= 2x).

    python -m benchmarks.metric_speed [--batch 64] [--size 224] [--repeats 20] [--quantus-repeats 3] [--json PATH]

Times are medians of wall-clock runs, ours and Quantus' interleaved; on a shared machine expect
+-30 % (our side is memory-bound, so it suffers more from other jobs than Quantus' Python checks).
Each pair is also timed in CPU seconds of this process (``time.process_time``; both sides run on one
thread), which leaves out the time the process waits for a core on a loaded machine; the target is
judged on the wall-clock ratio. Neither side includes a conversion the other skips: both get the
same float32 numpy maps and boolean mask (the Quantus adapter's own A+ and float32 mask copy are
part of calling Quantus, a few ms against seconds).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.metrics import ScoringBatch
from specxai_bench.metrics import quantus_adapters as q
from specxai_bench.metrics.complexity import Sparseness
from specxai_bench.metrics.linguistic import (
    FormantBandMass,
    pointing_hit,
    positive_mass_share,
)
from specxai_bench.metrics.masks import formant_mask


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    return timed(fn, repeats)[0]


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds (this process) of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - t)
    return float(np.median(wall)), float(np.median(cpu))


def make_batch(b: int, size: int, seed: int = 0) -> ScoringBatch:
    """Signed maps, formant tracks and an F0 track per sample (90-300 Hz, gliding 10 %, unvoiced in the first
    tenth of the columns), on the synthetic corpus' full band; the maps' native grid is the image's."""
    rng = np.random.default_rng(seed)
    maps = rng.standard_normal((b, size, size)).astype(np.float32)
    formants = np.stack([rng.uniform(300, 900, (b, size)), rng.uniform(900, 2500, (b, size)),
                         rng.uniform(2500, 3500, (b, size))], -1)
    f0 = rng.uniform(90, 300, (b, 1)) * np.linspace(1.05, 0.95, size)[None, :]
    f0[:, : size // 10] = np.nan
    return ScoringBatch(torch.from_numpy(maps), torch.rand(b, 1, size, size), torch.zeros(b, dtype=torch.long),
                        f0, formants, FrequencyAxis(0.0, 11025.0, size))


# issue 17's metrics, timed side by side with formant_band_mass (target: each within 2x of its time per batch)
NEW_METRICS = ("in_band_formant_lift", "formant_band_lift@grid=7x7", "formant_band_lift_normalised@grid=7x7",
               "formant_band_lift_normalised@below_hz=4000", "formant_band_lift@widen=true", "f0_harmonic_mass",
               "f0_harmonic_lift")


def side_by_side(batch: ScoringBatch, specs: tuple[str, ...], rounds: int) -> dict[str, dict[str, float]]:
    """Each metric's median ms per batch and the median over rounds of its time / formant_band_mass's in
    the same round (all timed in turn each round, so they see the same load)."""
    from specxai_bench.metrics import METRICS

    metrics = {s: METRICS.create(s) for s in ("formant_band_mass", *specs)}
    for m in metrics.values():
        m.score(batch)  # warm up
    times: dict[str, list[float]] = {s: [] for s in metrics}
    for _ in range(rounds):
        for spec, m in metrics.items():
            times[spec].append(timed(lambda: m.score(batch), 1)[0])
    ref = np.asarray(times["formant_band_mass"])
    return {spec: {"id": m.id, "ms": float(np.median(times[spec])) * 1e3,
                   "ratio_to_formant_band_mass": float(np.median(np.asarray(times[spec]) / ref))}
            for spec, m in metrics.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--repeats", type=int, default=20, help="timed runs of our metrics")
    p.add_argument("--quantus-repeats", type=int, default=3, help="timed runs of each Quantus metric")
    p.add_argument("--json", type=Path, default=Path("benchmarks/results/metric_speed.json"))
    args = p.parse_args()
    report = run(args.batch, args.size, args.repeats, args.quantus_repeats)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")


def run(batch_size: int = 64, size: int = 224, repeats: int = 20, quantus_repeats: int = 3) -> dict:
    args = argparse.Namespace(batch=batch_size, size=size, repeats=repeats, quantus_repeats=quantus_repeats)

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
    report = {"batch": args.batch, "size": args.size, "numpy": np.__version__, "mask_ms": t_mask * 1e3,
              "mask_share": float(mask.mean()), "formant_band_mass_with_mask_ms": t_full * 1e3, "pairs": {}}

    print(f"{'metric (per batch, side by side)':50s} {'ms':>8s} {'/ formant_band_mass':>20s}")
    report["side_by_side"] = side_by_side(batch, NEW_METRICS, args.repeats)
    for spec, r in report["side_by_side"].items():
        print(f"{spec:50s} {r['ms']:8.2f} {r['ratio_to_formant_band_mass']:19.2f}x")
    print()

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
        ours()
        paired, cpu = [], []
        for _ in range(args.quantus_repeats):
            (wq, cq), (wo, co) = timed(theirs, 1), timed(ours, args.repeats)
            paired.append((wq, wo))
            cpu.append((cq, co))
        t_q, t_ours = (float(np.median(x)) for x in zip(*paired))
        ratio = float(np.median([tq / to for tq, to in paired]))
        cpu_ratio = float(np.median([tq / to for tq, to in cpu]))
        diff = float(np.nanmax(np.abs(np.asarray(ours(), np.float64) - theirs())))
        print(f"{label:44s} {t_ours * 1e3:9.2f} {t_q * 1e3:11.1f} {ratio:7.0f}x {diff:11.2e}  "
              f"(CPU seconds: {cpu_ratio:.0f}x)")
        report["pairs"][label] = {"ours_ms": t_ours * 1e3, "quantus_ms": t_q * 1e3, "ratio": ratio,
                                  "cpu_ratio": cpu_ratio, "max_abs_diff": diff}
    return report


if __name__ == "__main__":
    main()
