"""End to end: the default `specxai-bench run` twice on a fresh output folder, per stage.

First run = data + three models + attributions + tables; second run reuses the cached models and
rows. Reports wall time per run and per stage (from the manifest), each task's test accuracy, best
epoch and training precision, peak resident memory and the load average before and after (the
targets, <= 8 minutes first and <= 20 s second, are for a quiet two-core machine). Usage:

    python -m benchmarks.end_to_end [--profile auto] [--methods cam,gradcam] [--corpus synthetic] [--output DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def timed_run(run_args: list[str], out: Path) -> tuple[list[str], float, str, dict]:
    """`specxai-bench run RUN_ARGS --output OUT` in a subprocess: (command, wall seconds, stdout, manifest)."""
    cmd = [sys.executable, "-m", "specxai_bench", "run", *run_args, "--output", str(out), "--no-progress"]
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if res.returncode != 0:
        sys.exit(f"run failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return cmd, wall, res.stdout, json.loads((out / "manifest.json").read_text())


def run_once(args: argparse.Namespace, out: Path) -> dict:
    extra = [] if args.corpus == "synthetic" else ["--corpus", args.corpus]
    cmd, wall, stdout, manifest = timed_run(["--methods", args.methods, "--profile", args.profile, *extra], out)
    return {"command": " ".join(cmd[2:]), "wall_seconds": wall, "stage_seconds": manifest["stage_seconds"],
            "models": manifest["models"], "profile": manifest["profile"]["name"], "arch": manifest["profile"]["arch"],
            "image_size": manifest["profile"]["image_size"], "device": manifest["device"], "stdout": stdout}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="auto")
    p.add_argument("--methods", default="cam,gradcam")
    p.add_argument("--corpus", default="synthetic", help="e.g. synthetic:hard (default: the default run's)")
    p.add_argument("--output", type=Path, default=Path("specxai-output/bench-e2e"))
    p.add_argument("--json", type=Path, default=Path("benchmarks/results/end_to_end.json"))
    args = p.parse_args()
    shutil.rmtree(args.output, ignore_errors=True)
    load_before = os.getloadavg()[0]
    first = run_once(args, args.output)
    second = run_once(args, args.output)
    load_after = os.getloadavg()[0]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report = {"machine": {"python": platform.python_version(), "processor": platform.processor(),
                          "cores": __import__("os").cpu_count()},
              "first_run": {k: v for k, v in first.items() if k != "stdout"},
              "second_run": {k: v for k, v in second.items() if k != "stdout"}, "peak_rss_mb": peak_mb,
              "load_average": {"before": load_before, "after": load_after}, "corpus": args.corpus,
              "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),  # None: torch's default, one per core
              "date": time.strftime("%Y-%m-%d")}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"profile {first['profile']} ({first['arch']}, {first['image_size']} px) on {first['device']}, "
          f"{report['machine']['cores']} cores")
    print(f"first run: {first['wall_seconds']:.0f} s; second run: {second['wall_seconds']:.0f} s; "
          f"peak RSS {peak_mb:.0f} MB; load average {load_before:.2f} before, {load_after:.2f} after")
    print("| stage | first run (s) | second run (s) |\n|---|---|---|")
    for stage in first["stage_seconds"]:
        print(f"| {stage} | {first['stage_seconds'][stage]:.1f} | {second['stage_seconds'].get(stage, 0):.1f} |")
    print("| task | test accuracy | n | best epoch | training images | precision |\n|---|---|---|---|---|---|")
    for task, m in first["models"].items():
        print(f"| {task} | {m['test_accuracy']:.3f} | {m['n_test']} | {m['best_epoch']} | {m.get('n_train')} | "
              f"{m.get('precision')} |")
    print(second["stdout"])


if __name__ == "__main__":
    main()
