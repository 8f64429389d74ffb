"""`study` writes its tables into the run's output folder unless --out says otherwise, and cross-corpus
meets two corpora at the lower of their sample rates."""

from __future__ import annotations

from pathlib import Path

import pytest

from specxai_bench.cli import main
from specxai_bench.studies import STUDY_FUNCTIONS, StudyResult


@pytest.mark.parametrize("extra, where", [([], "o"), (["--out", "tables"], "tables")])
def test_study_tables_go_to_the_output_folder_unless_out(monkeypatch, tmp_path, extra, where):
    seen: dict[str, Path] = {}

    def study(cfg, out, command, board, **kwargs):
        seen["out"] = out
        return StudyResult([])

    monkeypatch.setitem(STUDY_FUNCTIONS, "cutoff", study)
    monkeypatch.chdir(tmp_path)
    assert main(["study", "cutoff", "--output", "o", *extra]) == 0
    assert seen["out"] == Path(where)


def test_cross_corpus_resamples_both_corpora_down_to_the_lower_rate(small_corpus, tmp_path, monkeypatch):
    from specxai_bench.data.corpora.base import Corpus
    from specxai_bench.data.corpora.export import export_corpus
    from specxai_bench.data.corpora.loading import resample_down
    from specxai_bench.experiment import Experiment, RunConfig
    from specxai_bench.studies import cross_corpus

    keep = {"m00", "m01", "m02", "w00", "w01", "w02", "c00", "c01", "c02"}
    vowels = {"iy", "ae", "ah", "aa", "uw"}
    low = resample_down(Corpus("b", tuple(s for s in small_corpus.segments if s.speaker in keep and s.label in vowels)),
                        16000)
    root = export_corpus(low, tmp_path / "b16k")
    trained: dict[str, RunConfig] = {}

    class Stop(Exception):
        pass

    def run_grid(cfg):
        trained["cfg"] = cfg
        raise Stop

    monkeypatch.setattr(cross_corpus, "run_grid", run_grid)
    base = RunConfig(methods=("cam",), metrics=("formant_band_lift",), tasks=("vowel5",), profile="smoke",
                     output=tmp_path / "run", progress=False)
    with pytest.raises(Stop):
        cross_corpus.cross_corpus_study(base, tmp_path / "tables", "cmd", eval_corpus=f"aligned:{root}")
    cfg = trained["cfg"]
    assert cfg.sample_rate == 16000  # the synthetic corpus (22,050 Hz) is trained at the other's 16 kHz
    exp = Experiment.create(cfg)
    assert {s.sample_rate for s in exp.corpus.segments} == {16000}
    assert exp.data(exp.plan.tasks[0], ("test",))["test"].axis.fmax == 8000.0
