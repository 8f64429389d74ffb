"""The test suite's wall time: the README's test command (`python -m pytest -q`, what `.ci/run` runs) on this
checkout in a subprocess, with its slowest tests and the load average before and after.

The target, under 5 minutes, is for a quiet two-core machine: on a loaded one each test's torch threads
wait for a core, and the figure says more about the machine than the suite. Usage:

    python -m benchmarks.test_suite_time [--durations 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")
DURATION = re.compile(r"^\s*([\d.]+)s (call|setup|teardown)\s+(\S+)", re.M)


def parse(stdout: str) -> dict:
    """Counts from pytest's last line (``980 passed, 3 skipped in 277.06s``) and its ``--durations`` table."""
    last = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in SUMMARY.findall(last)}
    seconds = re.search(r" in ([\d.]+)s", last)
    slowest = [{"seconds": float(s), "phase": phase, "test": test} for s, phase, test in DURATION.findall(stdout)]
    return {"counts": counts, "pytest_seconds": float(seconds.group(1)) if seconds else None, "slowest": slowest}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--durations", type=int, default=10, help="slowest tests to report (default 10)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--durations={args.durations}"]
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    result = {"command": "python -m pytest -q", "wall_seconds": wall, "returncode": res.returncode,
              "load_average": {"before": load_before, "after": os.getloadavg()[0]}, "cores": os.cpu_count(),
              "date": time.strftime("%Y-%m-%d %H:%M")} | parse(res.stdout)
    print(f"test suite: {wall:.0f} s wall, {result['counts']} (exit {res.returncode}); load average "
          f"{load_before:.2f} before, {result['load_average']['after']:.2f} after")
    for s in result["slowest"]:
        print(f"  {s['seconds']:6.1f} s {s['phase']:<8} {s['test']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if res.returncode != 0:
        sys.exit(f"the suite failed (exit {res.returncode}):\n{res.stdout[-3000:]}")


if __name__ == "__main__":
    main()
