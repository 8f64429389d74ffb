"""`python -m benchmarks` writes to its ignored output folder, changes the record only with --record, and
exits non-zero when a target is missed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import benchmarks.__main__ as bench  # noqa: E402

from test_benchmarks_render import METRIC_RESULT  # noqa: E402  (its RelevanceMassAccuracy target is missed)


def fake_run(met: bool):
    result = json.loads(json.dumps(METRIC_RESULT))
    if met:
        for pair in result["pairs"].values():
            pair["ratio"], pair["cpu_ratio"], pair["max_abs_diff"] = 1e4, 1e4, 0.0

    def run_one(name: str, results: Path) -> dict:
        (results / f"{name}.json").parent.mkdir(parents=True, exist_ok=True)
        (results / f"{name}.json").write_text(json.dumps(result))
        return {"command": f"python -m benchmarks.{name}", "seconds": 1.0, "date": "2026-12-01", "returncode": 0,
                "status": "ran", "result": result}
    return run_one


def test_without_record_only_the_output_folder_changes(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    monkeypatch.setattr(bench, "run_one", fake_run(met=False))
    monkeypatch.setattr(bench, "BENCHMARKS", {"metric_speed": []})
    assert bench.main(["--only", "metric_speed"]) == 1  # a missed target fails the command
    out = capsys.readouterr().out
    assert "targets missed: 2" in out and "the record" in out and "--record" in out
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "benchmarks/output/metric_speed.json", "benchmarks/output/performance.md", "benchmarks/output/summary.json"]
    assert "| **no** |" in (tmp_path / "benchmarks/output/performance.md").read_text()


def test_record_replaces_the_record_and_met_targets_exit_0(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    monkeypatch.setattr(bench, "run_one", fake_run(met=True))
    monkeypatch.setattr(bench, "BENCHMARKS", {"metric_speed": []})
    assert bench.main(["--only", "metric_speed", "--record"]) == 0
    recorded = json.loads((tmp_path / "benchmarks/results/summary.json").read_text())
    assert recorded["benchmarks"]["metric_speed"]["status"] == "ran"
    assert (tmp_path / "benchmarks/results/metric_speed.json").is_file()
    doc = (tmp_path / "docs/performance.md").read_text()
    assert doc == (tmp_path / "benchmarks/output/performance.md").read_text() and "| **no** |" not in doc
    (tmp_path / "docs/performance.md").unlink()
    assert bench.main(["--render-only"]) == 0 and not (tmp_path / "docs/performance.md").exists()
    assert bench.main(["--render-only", "--record"]) == 0 and (tmp_path / "docs/performance.md").read_text() == doc
