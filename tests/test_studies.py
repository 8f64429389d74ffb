"""The study subcommands end to end on a tiny configuration: tables with every row, provenance, CSV."""

from __future__ import annotations

import pandas as pd
import pytest

from specxai_bench.cli import main
from specxai_bench.data.tasks import CUTOFF_KHZ, cutoff_task, get_task
from specxai_bench.errors import ConfigError, DataError
from specxai_bench.studies import group_map

TINY = ["--profile", "smoke", "--image-size", "32", "--epochs", "1", "--methods", "cam,input_energy",
        "--n-resamples", "100", "--no-progress", "--device", "cpu"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # 32-px images


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    return root / "run", root / "boards"


def _csv(path):
    return pd.read_csv(path, comment="#")


def test_cutoff_tasks_are_registered_with_their_bands():
    assert [cutoff_task(k).fmax for k in CUTOFF_KHZ] == [2000.0, 3000.0, 4000.0, 5000.0, None]
    assert get_task("vowel5-3k").classes == get_task("vowel5").classes


def test_cutoff_study_table(folders):
    run, boards = folders
    assert main(["study", "cutoff", *TINY, "--output", str(run), "--out", str(boards)]) == 0
    text = (boards / "study-cutoff.md").read_text()
    for label in ("2 kHz", "3 kHz", "4 kHz", "5 kHz", "full band"):
        assert f"| {label} |" in text
    assert "formant_band_lift@F123" in text and "input_energy †" in text
    assert ("study: `specxai-bench study cutoff --device cpu --epochs 1 --image-size 32 --methods cam,input_energy"
            in text)
    assert "profile smoke (resnet18, 32 px)" in text  # the runs' provenance lines
    df = _csv(boards / "study-cutoff.csv")
    acc = df[df["metric"] == "test_accuracy"]
    assert list(acc["fmax_hz"]) == [2000, 3000, 4000, 5000, 11025] and acc["n"].gt(0).all()
    lifts = df[df["metric"].str.startswith("formant_band_lift")]
    assert set(lifts["method"]) == {"cam", "input_energy"} and lifts["n"].gt(0).all()
    before = text.split("## Provenance")[0]
    assert main(["study", "cutoff", *TINY, "--output", str(run), "--out", str(boards)]) == 0
    # models and rows reused: the same table (only the manifest's creation time in the provenance moves)
    assert (boards / "study-cutoff.md").read_text().split("## Provenance")[0] == before


def test_groups_study_table(folders):
    run, boards = folders
    assert main(["study", "groups", *TINY, "--output", str(run), "--out", str(boards)]) == 0
    text = (boards / "study-groups.md").read_text()
    assert "| method | metric | men | women | children | all speakers |" in text
    df = _csv(boards / "study-groups.csv")
    assert set(df["task"]) == {"vowel5", "vowel5-4k", "voicing"}
    assert set(df["group"]) == {"men", "women", "children", "all"}
    f0 = df[(df["task"] == "voicing") & df["metric"].str.startswith("f0_band_lift")]
    assert len(f0) == 2 * 4  # two methods x (three groups + all)
    allsp = df[(df["group"] == "all") & (df["metric"] == "test_accuracy")]
    per = df[(df["group"] != "all") & (df["metric"] == "test_accuracy")]
    assert per.groupby("task")["n"].sum().to_dict() == allsp.set_index("task")["n"].to_dict()


def test_groups_from_a_metadata_column(folders, tmp_path):
    run, _ = folders
    meta = tmp_path / "speakers.csv"
    meta.write_text("speaker,dialect\nm00,north\nw00,south\n")
    boards = tmp_path / "boards"
    assert main(["study", "groups", *TINY, "--tasks", "vowel5-4k", "--output", str(run), "--out", str(boards),
                 "--speaker-metadata", str(meta), "--group-column", "dialect"]) == 0
    groups = set(_csv(boards / "study-groups.csv")["group"])
    assert groups <= {"north", "south", "unknown", "all"} and "unknown" in groups
    with pytest.raises(DataError, match="'speaker' and 'region'"):
        group_map(None, meta, "region")


def test_a_failing_method_exits_3_after_the_table_is_written(tmp_path, monkeypatch, capsys):
    from specxai_bench.methods.baselines import InputEnergy

    def broken(self, images, targets):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(InputEnergy, "_attribute", broken)
    boards = tmp_path / "boards"
    rc = main(["study", "groups", *TINY, "--tasks", "vowel5-4k", "--output", str(tmp_path / "run"),
               "--out", str(boards)])
    captured = capsys.readouterr()
    assert rc == 3, captured.err[-2000:]
    assert "failure(s); the run is partial" in captured.err and "vowel5-4k/input_energy" in captured.err
    assert "broken on purpose" in captured.err
    assert "2 files in" in captured.out  # what succeeded is written
    df = _csv(boards / "study-groups.csv")
    cam = df[(df["method"] == "cam") & (df["group"] == "all") & df["metric"].str.startswith("formant_band_lift")]
    assert len(cam) == 1 and cam["n"].iloc[0] > 0


def test_cross_corpus_study_table(folders):
    run, boards = folders
    assert main(["study", "cross-corpus", *TINY, "--tasks", "vowel5-4k", "--eval-corpus", "synthetic",
                 "--eval-seed", "1", "--output", str(run), "--out", str(boards)]) == 0
    text = (boards / "study-cross-corpus.md").read_text()
    assert "synthetic (seed 1), test" in text and "other − trained-on" in text
    df = _csv(boards / "study-cross-corpus.csv")
    assert set(df["corpus"]) == {"synthetic (seed 0), test split", "synthetic (seed 1), test"}
    assert df[df["metric"] == "accuracy"]["n"].gt(0).all()
    with pytest.raises(ConfigError, match="is the training corpus"):
        from specxai_bench.experiment import RunConfig
        from specxai_bench.studies import cross_corpus_study

        cross_corpus_study(RunConfig(("cam",), ("formant_band_lift",), ("vowel5-4k",), profile="smoke",
                                     output=run), boards, "x", eval_corpus="synthetic")
