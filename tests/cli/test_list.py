"""`list` answers from the plugins' source: fast, no torch, lines that fit, JSON for scripts, exact grids."""

from __future__ import annotations

import json
import subprocess
import sys

from specxai_bench.cli import main
from specxai_bench.cli.list import PROBE_PX, method_records, probed_grids
from specxai_bench.cli.output import MAX_WIDTH, fit_table
from specxai_bench.methods import METHODS
from specxai_bench.metrics import METRICS

HEAVY = ("torch", "torchvision", "captum", "zennit", "quantus", "pytorch_grad_cam", "librosa", "scipy.signal",
         "matplotlib", "pandas")


def _imports_after(argv: list[str]) -> tuple[str, list[str]]:
    """stdout of `specxai-bench ARGV` in a fresh interpreter, and the heavy modules it imported."""
    code = ("import sys\nfrom specxai_bench.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120).stdout
    head, _, tail = out.rpartition("HEAVY ")
    return head, eval(tail)  # noqa: S307 (our own printed list)


def test_help_version_and_list_import_no_torch_and_no_plugin_library() -> None:
    for argv in (["--help"], ["--version"], ["list"], ["run", "--help"], ["study", "cutoff", "--help"]):
        out, heavy = _imports_after(argv)
        assert heavy == [], (argv, heavy)
        assert out.strip(), argv
    for argv in (["--help"], ["--version"]):  # only the subcommands' names and one-line help are built
        code = ("import sys\nfrom specxai_bench.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n"
                "    pass\nprint('NUMPY', 'numpy' in sys.modules)")
        res = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
        assert res.stdout.rstrip().endswith("NUMPY False"), (argv, res.stdout[-200:])
    out, _ = _imports_after(["list"])
    for name in METHODS.names() + METRICS.names() + ["vowel5-4k", "paper"]:
        assert f"\n{name} " in out, name


def test_list_lines_fit_and_the_grids_are_the_real_ones(capsys) -> None:
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= MAX_WIDTH
    records = {r["method"]: r for r in method_records("*")}
    measured = probed_grids(sorted(records))
    shown = {n: r[f"grid_{PROBE_PX}px"] for n, r in records.items()}
    # methods that compute their own grid (the pooled baselines: from their grid option)
    assert {n for n, g in shown.items() if g is None} == {"occlusion", "lrp_epsilon_plus_flat", "input_energy",
                                                          "band_prior"}
    assert all(g == measured[n] for n, g in shown.items() if g is not None)
    assert shown["gradcam"] == "7x7" and measured["occlusion"] == "27x27" and measured["lrp_epsilon_plus_flat"] == "112x112"
    assert main(["list", "methods", "occl*", "--probe"]) == 0
    assert "27x27" in capsys.readouterr().out


def test_list_json_is_the_metadata(capsys) -> None:
    assert main(["list", "metrics", "formant*", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["metrics"]
    lift = next(r for r in doc["metrics"] if r["metric"] == "formant_band_lift")
    assert lift["options"] == {"formants": [1, 2, 3], "min_hz": 100.0, "rel": 0.1, "below_hz": None, "grid": "full",
                               "widen": False}
    assert lift["higher_is_better"] is True and lift["version"] == METRICS.get("formant_band_lift").version
    assert main(["list", "--format", "json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"methods", "metrics", "tasks", "profiles"}


def test_fit_table_cuts_the_named_columns_only() -> None:
    rows = [["a", "x" * 50, "y" * 200]]
    text = fit_table(rows, ["name", "options", "description"], width=80, shrink={"options": 20, "description": 30})
    lines = text.splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[2].startswith("a     ") and "…" in lines[2]
    assert fit_table([["a", "b"]], ["x", "y"]).splitlines()[2] == "a  b"  # nothing to cut
