"""The best formant lift a map of each grid can reach, per task, on a profile's test split (model-free).

Raw lift is bounded by the map's grid: a 7x7 map (CAM, Grad-CAM at 224 px) cannot put its mass on
the formant bands as a full-resolution map can. For each vowel task this prints, over the test
samples, the median (and 10th-90th percentile) of the mask's chance share, the ceiling of lift on
the image grid (1 / chance) and on coarse grids, the in-band ceiling (rows below 4 kHz), and for
the voicing task the harmonic mask's share of the region its harmonics own.

    python -m benchmarks.lift_ceiling [--profile cpu] [--grids 7x7,14x14,28x28] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from specxai_bench.data.tasks import get_task
from specxai_bench.experiment import Experiment, RunConfig
from specxai_bench.methods.grid import parse_grid
from specxai_bench.metrics.lift import chance, lift_ceiling
from specxai_bench.metrics.masks import band_rows, formant_mask, harmonic_mask


def spread(x: np.ndarray) -> dict[str, float]:
    x = x[np.isfinite(x)]
    return {"median": float(np.median(x)), "p10": float(np.percentile(x, 10)), "p90": float(np.percentile(x, 90)),
            "n": int(len(x))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="cpu")
    p.add_argument("--grids", default="7x7,14x14,28x28")
    p.add_argument("--tasks", default="vowel5,vowel5-4k,voicing")
    p.add_argument("--output", type=Path, default=Path("/tmp/specxai-lift-ceiling"), help="corpus cache folder")
    p.add_argument("--json", type=Path, default=Path("benchmarks/results/lift_ceiling.json"))
    args = p.parse_args()
    grids = [parse_grid(g) for g in args.grids.split(",")]
    tasks = args.tasks.split(",")
    exp = Experiment.create(RunConfig(methods=("uniform",), metrics=("formant_band_lift",), tasks=tuple(tasks),
                                      profile=args.profile, device="cpu", output=args.output, progress=False))
    report = {"profile": args.profile, "tasks": {}}
    for name in tasks:
        task = get_task(name)
        test = exp.data(task, ("test",))["test"]
        out: dict[str, dict] = {}
        if task.kind == "vowel":
            mask = formant_mask(test.formants, test.axis)
            out["chance"] = spread(chance(mask))
            out["ceiling full"] = spread(lift_ceiling(mask))
            for g in grids:
                out[f"ceiling {g[0]}x{g[1]}"] = spread(lift_ceiling(mask, grid=g))
            below = band_rows(test.axis, -np.inf, 4000.0)
            out["in-band chance"] = spread(chance(mask, below))
            out["in-band ceiling full"] = spread(lift_ceiling(mask, below))
            out["rows below 4 kHz"] = {"share": float(below.mean())}
        else:
            mask, region = harmonic_mask(test.f0, test.axis)
            voiced = np.isfinite(test.f0).any(1)
            out["voiced samples"] = {"n": int(voiced.sum()), "of": len(voiced)}
            out["harmonic chance in region"] = spread(chance(mask, region))
            out["harmonic ceiling full"] = spread(lift_ceiling(mask, region))
            out["harmonic mask share of image"] = spread(np.where(voiced, mask.mean((1, 2)), np.nan))
        report["tasks"][name] = out
        print(f"\n{name} ({len(test)} test samples, {test.axis.fmax:g} Hz top, {test.axis.n_rows} rows)")
        for key, v in out.items():
            print(f"  {key:32s} " + ("  ".join(f"{k} {x:.3f}" if isinstance(x, float) else f"{k} {x}"
                                               for k, x in v.items())))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
