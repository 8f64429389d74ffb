"""`specxai-bench leaderboard` and `report` from the command line, on small hand-written stores."""

from __future__ import annotations

from pathlib import Path

from specxai_bench.cli import build_parser, main
from specxai_bench.results.board import display_path
from specxai_bench.results.store import ResultRow, ResultStore


def small_store(path: Path, task: str, model: str, run: str, checkpoint: str = "",
                labels: tuple[str, str] = ("aa", "s")) -> str:
    """Two speakers, two methods plus the baselines, one metric; a model whose checkpoint is gone."""
    rows = [ResultRow(task, model, "true", method, "{}", "f0_band_lift@below700hz", 1, f"s{s}/x_{j}",
                      labels[j % 2], f"s{s}", j % 2, 1.0 + 0.1 * j + 0.05 * s + (method == "cam"), None, run)
            for method in ("cam", "input_energy", "uniform", "random") for s in range(3) for j in range(4)]
    with ResultStore(path) as store:
        store.write_rows(rows)
        store.write_model(task, model, {"arch": "resnet18", "image_size": 64, "profile": "smoke", "device": "cpu",
                                        "test_accuracy": 0.9, "n_test": 12, "checkpoint": checkpoint,
                                        "config": {"corpus": "c", "seed": 0}, "config_hash": model})
        config = {"methods": ["cam"], "metrics": ["f0_band_lift"], "tasks": [task], "profile": "smoke"}
        store.write_manifest(run, {"run": run, "created": "2026-01-01T00:00:00+0000", "command": "specxai-bench run x",
                                   "config": config,
                                   "profile": {"name": "smoke", "arch": "resnet18", "image_size": 64},
                                   "corpus": {"name": "synthetic", "fingerprint": "c"}, "versions": {}})
    return str(path)


def test_subcommands_are_listed():
    text = build_parser().format_help()
    assert "leaderboard" in text and "report" in text


def test_leaderboard_merges_stores(tmp_path, capsys):
    a = small_store(tmp_path / "a.sqlite", "voicing", "m1", "r1")
    b = small_store(tmp_path / "b.sqlite", "vowel5-4k", "m2", "r2")
    out = tmp_path / "boards"
    assert main(["leaderboard", "--results", a, b, "--out", str(out), "--n-resamples", "500"]) == 0
    assert "11 files" in capsys.readouterr().out
    index = (out / "index.md").read_text()
    assert "[voicing](voicing.md)" in index and "[vowel5-4k](vowel5-4k.md)" in index
    a_, b_, out_ = (display_path(p) for p in (a, b, out))  # relative to the working folder: no local paths
    assert f"specxai-bench leaderboard --results {a_} {b_} --out {out_} --n-resamples 500" in index
    voicing = (out / "voicing.md").read_text()
    assert "**voiced samples**" in voicing and "(3 spk: no CI)" in voicing  # 3 speakers: no CI, no rank


def test_missing_store_exits_2(tmp_path, capsys):
    assert main(["leaderboard", "--results", str(tmp_path / "none.sqlite"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_report_without_checkpoint_keeps_tables_and_says_why(tmp_path, capsys):
    store = small_store(tmp_path / "a.sqlite", "voicing", "m1", "r1", checkpoint=str(tmp_path / "gone.pt"))
    out = tmp_path / "rep"
    assert main(["report", "--results", store, "--out", str(out), "--n-resamples", "500"]) == 0
    page = (out / "report.md").read_text()
    assert "no checkpoint" in page and ("train it again with `specxai-bench run --methods cam --metrics f0_band_lift "
                                        f"--tasks voicing --profile smoke --baselines none --output {tmp_path}`") in page
    assert "| cam |" in page and (out / "tables" / "voicing.tex").is_file()
    assert not (out / "figures").exists()


def test_study_tasks_render_like_the_papers(tmp_path, capsys):
    """A study's rows (vowel5-2k) get the registered task's class order, a report and a `list` entry."""
    a = small_store(tmp_path / "a.sqlite", "vowel5-2k", "m1", "r1", checkpoint=str(tmp_path / "gone.pt"),
                    labels=("aa", "ae"))
    b = small_store(tmp_path / "b.sqlite", "vowel5", "m2", "r2", labels=("aa", "ae"))
    out = tmp_path / "boards"
    assert main(["leaderboard", "--results", a, b, "--out", str(out), "--n-resamples", "500"]) == 0
    index = (out / "index.md").read_text()
    assert 0 < index.index("[vowel5](vowel5.md)") < index.index("[vowel5-2k](vowel5-2k.md)")  # registry order
    assert "| method | ae | aa |" in (out / "vowel5-2k.md").read_text()  # the task's class order, not sorted
    rep = tmp_path / "rep"
    assert main(["report", "--results", a, "--out", str(rep), "--n-resamples", "500"]) == 0
    page = (rep / "report.md").read_text()
    assert "no checkpoint" in page and "not registered" not in page
    capsys.readouterr()
    assert main(["list", "tasks", "vowel5-*"]) == 0
    listed = capsys.readouterr().out
    assert all(t in listed for t in ("vowel5-2k", "vowel5-3k", "vowel5-4k", "vowel5-5k"))
