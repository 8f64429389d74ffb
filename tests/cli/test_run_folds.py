"""`run` on a real aligned corpus of few speakers: speaker k-fold end to end (smoke profile), and the
refused utterance split of a two-speaker corpus."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from specxai_bench.data.corpora.base import Corpus
from specxai_bench.data.corpora.export import export_corpus

VOWELS5 = {"iy", "ae", "ah", "aa", "uw"}


def aligned(corpus: Corpus, n_speakers: int, out: Path) -> Path:
    """The corpus's first speakers' vowels as an MFA / LibriTTS-style aligned corpus (speaker/chapter/utt)."""
    keep = list(dict.fromkeys(s.speaker for s in corpus.segments))[:n_speakers]
    sub = Corpus("real", tuple(s for s in corpus.segments if s.speaker in keep and s.label in VOWELS5))
    return export_corpus(sub, out, style="mfa")


def run(run_cli, root: Path, out: Path, *extra: str):
    return run_cli("run", "--corpus", f"aligned:{root}", "--speaker-from", "grandparent", "--profile", "smoke",
                   "--epochs", "1", "--tasks", "vowel5-4k", "--methods", "cam", "--metrics", "formant_band_lift",
                   "--output", out, "--no-progress", *extra)


def test_eight_speakers_run_four_fold_with_every_speaker_in_one_test_fold(small_corpus, run_cli, tmp_path):
    from specxai_bench.results.board import load_stores

    root = aligned(small_corpus, 8, tmp_path / "corpus")
    res = run(run_cli, root, tmp_path / "out")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "split: 4-fold speaker cross-validation (fewer than 10 speakers: 8" in res.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    where = manifest["split"]["where"]
    assert sorted(where) == ["c00", "c01", "m00", "m01", "m02", "w00", "w01", "w02"]
    assert sorted(where.values()) == sorted(f"fold {i}/4" for i in range(1, 5) for _ in range(2))
    model = manifest["models"]["vowel5-4k"]
    assert len(model["folds"]) == 4 and len({f["config_hash"] for f in model["folds"]}) == 4  # one model per fold
    assert model["n_test"] == 80 and f"model {model['config_hash']}, test accuracy" in res.stdout
    for fold in model["folds"]:
        assert f"fold {fold['fold']}/4: model {fold['config_hash']}" in res.stderr
    with sqlite3.connect(tmp_path / "out" / "results.sqlite") as db:
        by_model = {}
        for m, spk in db.execute("SELECT DISTINCT model, speaker FROM rows"):
            by_model.setdefault(spk, set()).add(m)
    assert sorted(by_model) == sorted(where) and all(len(ms) == 1 for ms in by_model.values())  # one test fold each
    fold_of_model = {f["config_hash"]: f"fold {f['fold']}/4" for f in model["folds"]}
    assert {spk: fold_of_model[next(iter(ms))] for spk, ms in by_model.items()} == where
    rows = load_stores([tmp_path / "out" / "results.sqlite"]).rows  # the boards pool the folds under one id
    assert set(rows["model"]) == {model["config_hash"]} and sorted(set(rows["fold"])) == [1, 2, 3, 4]
    cam = rows[rows["method"] == "cam"]
    assert cam.groupby("metric")["sample"].nunique().eq(80).all()  # one board row over all 80 test samples
    cell = res.stdout.split("| cam |")[1].splitlines()[0]
    assert "[" in cell and re.search(r"\| n / speakers \| \d+ / 8 \|", res.stdout)  # an interval: 8 speakers


def test_two_speakers_are_refused_naming_the_option_that_overrides(small_corpus, run_cli, tmp_path):
    root = aligned(small_corpus, 2, tmp_path / "corpus")
    res = run(run_cli, root, tmp_path / "out")
    assert res.returncode == 2, res.stderr[-2000:]
    assert "has 2 speakers (m00, m01)" in res.stderr and "--split-by utterance" in res.stderr
    assert not (tmp_path / "out" / "results.sqlite").exists()


@pytest.mark.parametrize("options, match", [(["--folds", "2"], "--folds must be 0"),
                                            (["--speaker-from", "uncle"], "--speaker-from must be one of"),
                                            (["--sample-rate", "10"], "--sample-rate must be at least 1000")])
def test_bad_corpus_options_exit_2_before_any_work(run_cli, tmp_path, options, match):
    res = run_cli("run", "--profile", "smoke", "--output", tmp_path / "o", *options)
    assert res.returncode == 2 and match in res.stderr
    assert not (tmp_path / "o").exists()
