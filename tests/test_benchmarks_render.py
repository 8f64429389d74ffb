"""docs/performance.md is rendered from the benchmarks' summary JSON: a missed target shows as "no",
every target in the JSON appears, and a result not rerun shows its date."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.report import ROWS, render  # noqa: E402

METRIC_RESULT = {  # what benchmarks/metric_speed.py writes; the RelevanceMassAccuracy ratio misses 250x
    "batch": 64, "size": 224, "numpy": "2.4.6", "mask_ms": 11.0, "mask_share": 0.1,
    "formant_band_mass_with_mask_ms": 15.0,
    "pairs": {
        "formant_band_mass vs RelevanceMassAccuracy": {"ours_ms": 12.0, "quantus_ms": 2016.0, "ratio": 168.0,
                                                       "cpu_ratio": 300.0, "max_abs_diff": 1.3e-8},
        "formant_pointing_game vs PointingGame": {"ours_ms": 2.0, "quantus_ms": 4000.0, "ratio": 2000.0,
                                                  "cpu_ratio": 2100.0, "max_abs_diff": 0.0},
        "sparseness vs Sparseness": {"ours_ms": 150.0, "quantus_ms": 4200.0, "ratio": 28.0, "cpu_ratio": 29.0,
                                     "max_abs_diff": 2e-6},
    },
}

E2E_RESULT = {
    "first_run": {"command": "specxai_bench run", "wall_seconds": 701.0, "stage_seconds": {"data": 8.5},
                  "models": {"vowel5": {"n_test": 180, "test_accuracy": 1.0}}},
    "second_run": {"command": "specxai_bench run", "wall_seconds": 15.0, "stage_seconds": {"data": 8.4}},
    "peak_rss_mb": 2901.0, "date": "2026-11-25",
}


def summary() -> dict:
    return {
        "command": "python -m benchmarks --only metric_speed", "date": "2026-11-26 10:00", "git_commit": "abc123",
        "git_dirty": True, "wall_seconds": 61.0, "note": "",
        "machine": {"cpu": "AMD EPYC", "cores": 2, "ram_gb": 23.0, "os": "Linux 6", "gpu": None,
                    "load_before": 1.0, "load_after": 2.0},
        "versions": {"python": "3.11.7", "torch": "2.14.1", "quantus": "0.6.0", "captum": "0.9.0",
                     "grad-cam": "1.5.7"},
        "benchmarks": {
            "metric_speed": {"status": "ran", "command": "python -m benchmarks.metric_speed", "seconds": 60.0,
                             "result": METRIC_RESULT, "rows": ROWS["metric_speed"](METRIC_RESULT)},
            "end_to_end": {"status": "previous", "date": "2026-11-25", "command": "python -m benchmarks.end_to_end",
                           "result": E2E_RESULT, "rows": ROWS["end_to_end"](E2E_RESULT)},
        },
    }


def table_rows(doc: str, what: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in doc.splitlines()
            if line.startswith("|") and what in line]


def test_missed_targets_show_no_and_met_ones_yes():
    doc = render(summary())
    speed = table_rows(doc, "formant_band_mass vs RelevanceMassAccuracy: speed")
    assert speed and all(r[-1] == "**no**" for r in speed)  # 168x < 250x, in the overview and the table
    pointing = table_rows(doc, "formant_pointing_game vs PointingGame: speed")
    assert pointing and all(r[-1] == "yes" for r in pointing)
    sparse_values = table_rows(doc, "sparseness vs Sparseness: values")  # 2e-6 > 1e-6
    assert sparse_values and all(r[-1] == "**no**" for r in sparse_values)
    assert all(r[-1] == "yes" for r in table_rows(doc, "peak resident memory"))


def test_every_target_in_the_json_appears_in_the_document():
    s = summary()
    doc = render(s)
    targets = [(r["what"], r["target"]) for b in s["benchmarks"].values() for r in b["rows"] if r["target"] != "—"]
    assert len(targets) >= 8
    for what, target in targets:
        assert any(target in row for row in table_rows(doc, what)), (what, target)


def test_run_details_and_previous_results_are_marked():
    doc = render(summary())
    for text in ("python -m benchmarks --only metric_speed", "abc123", "AMD EPYC", "2 cores", "23 GB",
                 "quantus 0.6.0", "captum 0.9.0", "grad-cam 1.5.7", "torch 2.14.1"):
        assert text in doc
    assert "Not rerun by this command: the last result, from 2026-11-25" in doc
    assert "## Where the metric time goes" in doc  # the hand-written sections survive regeneration


def test_summary_json_round_trips_through_the_renderer(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary()))
    assert render(json.loads(path.read_text())) == render(summary())


@pytest.mark.parametrize("ratio, met", [(250.0, True), (249.9, False)])
def test_target_edge(ratio, met):
    result = json.loads(json.dumps(METRIC_RESULT))
    result["pairs"]["formant_band_mass vs RelevanceMassAccuracy"]["ratio"] = ratio
    rows = [r for r in ROWS["metric_speed"](result) if r["what"].endswith("RelevanceMassAccuracy: speed")]
    assert rows[0]["met"] is met


PYTEST_OUTPUT = """\
........................................................................ [ 95%]
============================= slowest 3 durations ==============================
22.31s setup    tests/test_distributed.py::test_sharded_evaluation_gives_the_single_process_rows
21.59s call     tests/test_resume.py::test_killed_twice_then_resumed_equals_an_uninterrupted_run
0.50s teardown tests/x.py::test_y[a-b]
=========================== short test summary info ============================
SKIPPED [3] tests/methods/test_lrp.py:205: needs CUDA
980 passed, 3 skipped in 277.06s (0:04:37)
"""


@pytest.mark.parametrize("wall, met", [(277.0, "yes"), (301.0, "**no**")])
def test_the_suite_time_is_read_from_pytests_output_and_held_to_five_minutes(wall, met):
    from benchmarks.test_suite_time import parse

    parsed = parse(PYTEST_OUTPUT)
    assert parsed["counts"] == {"passed": 980, "skipped": 3} and parsed["pytest_seconds"] == 277.06
    assert [(s["seconds"], s["phase"]) for s in parsed["slowest"]] == [(22.31, "setup"), (21.59, "call"),
                                                                      (0.5, "teardown")]
    assert parsed["slowest"][2]["test"] == "tests/x.py::test_y[a-b]"
    result = {"command": "python -m pytest -q", "wall_seconds": wall, "returncode": 0, "cores": 2,
              "load_average": {"before": 0.5, "after": 1.5}} | parsed
    rows = ROWS["test_suite_time"](result)
    assert rows[0]["measured"] == f"{wall:.0f} s" and "980 passed, 3 skipped" in rows[0]["what"]
    assert len(rows) == 4
    doc = render({**summary(), "benchmarks": {"test_suite_time": {
        "status": "ran", "command": "python -m benchmarks.test_suite_time", "seconds": wall, "result": result,
        "rows": rows}}})
    assert table_rows(doc, "`python -m pytest -q`")[0][-1] == met
