"""Run the benchmarks, collect their JSON into a summary, render the performance page from it.

    python -m benchmarks                          # every benchmark but the slow end-to-end run
    python -m benchmarks --with-end-to-end        # ... and the slow ones: end-to-end, time to accuracy, test suite (~1 h)
    python -m benchmarks --only metric_speed,scaling
    python -m benchmarks --record                 # ... and make this run the record (see below)
    python -m benchmarks --render-only [--record] # re-render the page from the last summary

Each benchmark runs in its own subprocess (its own torch thread settings and peak memory; one
failing does not stop the others). Everything goes to benchmarks/output/ (git-ignored): each
benchmark's JSON and log, summary.json and performance.md. The record, benchmarks/results/*.json
and docs/performance.md, changes only with ``--record``: a run on a loaded machine cannot overwrite
it by accident. A benchmark not selected keeps its recorded result, shown in the page with its date
as "not rerun by this command" (the end-to-end run, by default). The exit code is 1 when a
benchmark failed or a target was missed, else 0.

A benchmark is a module ``benchmarks/NAME.py`` whose ``main`` takes ``--json PATH``; add it to
:data:`BENCHMARKS` (and its target rows to ``report.ROWS``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from specxai_bench.io import atomic_write_bytes

from .report import ROWS, render

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path("benchmarks/results")  # the record (tracked): written only with --record
OUTPUT = Path("benchmarks/output")  # every run's results, logs, summary and page (git-ignored)
DOC = Path("docs/performance.md")  # the recorded page

# name -> extra arguments of `python -m benchmarks.NAME` (each also gets --json RESULTS/NAME.json)
BENCHMARKS: dict[str, list[str]] = {
    "pipeline_speed": [],
    "metric_speed": [],
    "method_speed": ["--batch", "8", "--threads", "1", "--slow", "scorecam,ablationcam,occlusion",
                     "--slow-batch", "1"],
    "scaling": [],
    "training_throughput": [],
    "praat_vs_truth": [],
    "end_to_end": [],
    "time_to_accuracy": [],
    "time_to_accuracy_resnet101": ["--arch", "resnet101"],
    "test_suite_time": [],
}
# a benchmark that runs another's module with its own arguments
MODULES = {"time_to_accuracy_resnet101": "time_to_accuracy"}
SLOW = {"end_to_end", "time_to_accuracy", "time_to_accuracy_resnet101", "test_suite_time"}


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    ram = float("nan")
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) / 2**20
                break
    except OSError:
        pass
    gpu = None
    try:
        import torch

        if torch.cuda.is_available():
            gpu = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    except Exception:  # noqa: BLE001 - a broken CUDA set-up only means "no GPU" here
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram, "os": f"{platform.system()} {platform.release()}",
            "gpu": gpu}


def versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in ("torch", "numpy", "quantus", "captum", "grad-cam", "zennit", "librosa"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def module_and_args(name: str) -> list[str]:
    """``benchmarks.MODULE`` and the arguments benchmark ``name`` runs it with."""
    return [f"benchmarks.{MODULES.get(name, name)}", *BENCHMARKS.get(name, [])]


def run_one(name: str, results: Path) -> dict:
    """Run one benchmark in its own process; its JSON and log go to ``results`` (absolute)."""
    out = results / f"{name}.json"
    out.unlink(missing_ok=True)  # a stale result must not pass for this run's
    cmd = [sys.executable, "-m", *module_and_args(name), "--json", str(out)]
    shown = " ".join(["python", "-m", *module_and_args(name)])
    print(f"\n=== {name}: {shown}", flush=True)
    log = results / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    with log.open("w") as fh, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                               cwd=ROOT) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            fh.write(line)
        rc = proc.wait()
    seconds = time.perf_counter() - t
    entry = {"command": shown, "seconds": seconds, "date": time.strftime("%Y-%m-%d"), "returncode": rc}
    if rc != 0 or not out.exists():
        return {**entry, "status": "failed", "error": f"see {log}: " + log.read_text()[-300:].replace("\n", " ")}
    return {**entry, "status": "ran", "result": json.loads(out.read_text())}


def previous(name: str, results: Path = RESULTS) -> dict:
    path = ROOT / results / f"{name}.json"
    if not path.exists():
        return {"status": "missing"}
    result = json.loads(path.read_text())
    date = result.get("date") or git("log", "-1", "--format=%cd", "--date=short", "--", str(results / path.name)) \
        or time.strftime("%Y-%m-%d", time.localtime(path.stat().st_mtime))
    return {"status": "previous", "date": date, "command": " ".join(["python", "-m", *module_and_args(name)]),
            "result": result}


def with_rows(name: str, entry: dict) -> dict:
    if "result" in entry:
        try:
            entry["rows"] = ROWS[name](entry["result"])
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            entry["rows"] = []
            entry["status"], entry["error"] = "failed", f"result not understood: {type(exc).__name__}: {exc}"
    return entry


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--only", default="", help=f"comma-separated names: {', '.join(BENCHMARKS)}")
    p.add_argument("--skip", default="", help="comma-separated names to leave out")
    p.add_argument("--with-end-to-end", action="store_true", help="also run the slow benchmarks (end_to_end, time_to_accuracy on ResNet-18 and ResNet-101, "
                   "test_suite_time)")
    p.add_argument("--render-only", action="store_true", help="only re-render the page from the last summary")
    p.add_argument("--record", action="store_true",
                   help=f"make this run the record: copy its results to {RESULTS}/ and render {DOC} "
                        f"(default: only {OUTPUT}/, git-ignored)")
    p.add_argument("--output", type=Path, default=OUTPUT, help=f"folder for this run's files (default: {OUTPUT})")
    p.add_argument("--note", default="", help="a line to print under the run's details (e.g. the machine's load)")
    args = p.parse_args(argv)
    out = args.output if args.output.is_absolute() else ROOT / args.output
    if args.render_only:
        source = ROOT / RESULTS / "summary.json" if args.record else out / "summary.json"
        if not source.exists():
            p.error(f"no summary at {source}: run `python -m benchmarks` first")
        written = write_page(json.loads(source.read_text()), out, args.record)
        print(f"wrote {', '.join(map(str, written))}")
        return 0
    only = [n for n in args.only.split(",") if n]
    unknown = [n for n in only + [n for n in args.skip.split(",") if n] if n not in BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    selected = only or [n for n in BENCHMARKS if n not in SLOW or args.with_end_to_end]
    selected = [n for n in selected if n not in args.skip.split(",")]
    recorded = ROOT / RESULTS / "summary.json"
    old = json.loads(recorded.read_text()).get("benchmarks", {}) if recorded.exists() else {}

    start, load_before = time.perf_counter(), os.getloadavg()[0]
    benchmarks = {}
    for name in BENCHMARKS:
        if name in selected:
            benchmarks[name] = run_one(name, out)
        elif old.get(name, {}).get("status") == "ran" and "result" in old[name]:
            benchmarks[name] = {**old[name], "status": "previous"}  # kept from the recorded run
        else:
            benchmarks[name] = previous(name)
        benchmarks[name] = with_rows(name, benchmarks[name])
    summary = {
        "command": " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])]),
        "date": time.strftime("%Y-%m-%d %H:%M"), "git_commit": git("rev-parse", "--short=12", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "machine": {**machine(), "load_before": load_before, "load_after": os.getloadavg()[0]},
        "versions": versions(), "wall_seconds": time.perf_counter() - start, "selected": selected,
        "note": args.note, "benchmarks": benchmarks,
    }
    write_summary(out / "summary.json", summary)
    written = [out / "summary.json", *write_page(summary, out, False)]
    if args.record:
        written += record(summary, out)
    missed = [(n, r["what"]) for n, b in benchmarks.items() for r in b.get("rows", []) if r["met"] is False]
    failed = [n for n, b in benchmarks.items() if b.get("status") == "failed"]
    print(f"\nwrote {', '.join(str(w.relative_to(ROOT) if w.is_relative_to(ROOT) else w) for w in written)} in "
          f"{summary['wall_seconds']:.0f} s; targets missed: {len(missed)}; failed: {', '.join(failed) or 'none'}"
          + ("" if args.record else f"; the record ({RESULTS}/, {DOC}) is unchanged: add --record to replace it"))
    for n, what in missed:
        print(f"  missed: {n}: {what}")
    return 1 if failed or missed else 0


def write_summary(path: Path, summary: dict) -> None:
    """In the summary's own key order (the page lists versions and benchmarks in it)."""
    atomic_write_bytes(path, (json.dumps(summary, indent=2, default=str) + "\n").encode())


def write_page(summary: dict, out: Path, recorded: bool) -> list[Path]:
    """The page rendered from ``summary``: into ``out``, and as the recorded docs page with ``recorded``."""
    page = render(summary).encode()
    paths = [out / "performance.md"] + ([ROOT / DOC] if recorded else [])
    for path in paths:
        atomic_write_bytes(path, page)
    return paths


def record(summary: dict, out: Path) -> list[Path]:
    """Make this run the record: the JSON of each benchmark that ran, the summary, docs/performance.md."""
    written = []
    for name, entry in summary["benchmarks"].items():
        if entry.get("status") == "ran":
            atomic_write_bytes(ROOT / RESULTS / f"{name}.json", (out / f"{name}.json").read_bytes())
            written.append(ROOT / RESULTS / f"{name}.json")
    write_summary(ROOT / RESULTS / "summary.json", summary)
    return written + [ROOT / RESULTS / "summary.json", *write_page(summary, out, True)[1:]]


if __name__ == "__main__":
    sys.exit(main())
