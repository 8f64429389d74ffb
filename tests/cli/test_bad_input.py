"""The bad-input matrix through the CLI: exit code, a message naming the culprit, no result file changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from specxai_bench.cli import main


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The smoke profile's synthetic corpus written out as an aligned corpus (wav + .PHN + .TextGrid)."""
    from specxai_bench.data.corpora.export import export_corpus
    from specxai_bench.data.corpora.synthetic import synthesize
    from specxai_bench.model.profiles import PROFILES

    return export_corpus(synthesize(PROFILES["smoke"].corpus), tmp_path_factory.mktemp("c") / "aligned")


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    for tg in dst.rglob("*.TextGrid"):  # keep one alignment format per utterance: the .PHN files
        tg.unlink()
    return dst


def _first(folder: Path, pattern: str) -> Path:
    return sorted(folder.rglob(pattern))[0]


def _run(capsys, out: Path, *extra: str) -> tuple[int, str]:
    rc = main(["run", "--profile", "smoke", "--output", str(out), "--no-progress", *extra])
    return rc, capsys.readouterr().err


def _empty_wav(d: Path) -> str:
    w = _first(d, "*.wav")
    sf.write(w, np.zeros(0, np.float32), 22050)
    return w.name


def _non_audio(d: Path) -> str:
    w = _first(d, "*.wav")
    w.write_bytes(b"this is not audio at all")
    return w.name


def _truncated(d: Path) -> str:
    w = _first(d, "*.wav")
    w.write_bytes(w.read_bytes()[:30])
    return w.name


def _no_wav(d: Path) -> str:
    w = _first(d, "*.wav")
    w.unlink()
    return w.with_suffix(".PHN").name


def _past_end(d: Path) -> str:
    p = _first(d, "*.PHN")
    lines = p.read_text().splitlines()
    a, b, lab = lines[-1].split()
    lines[-1] = f"{a} {int(b) + 22050} {lab}"
    p.write_text("\n".join(lines) + "\n")
    return p.name


def _overlapping(d: Path) -> str:
    p = _first(d, "*.PHN")
    a, b, lab = p.read_text().split()[:3]
    p.write_text(f"{a} {b} {lab}\n{int(a) + 1} {b} {lab}\n")
    return p.name


CASES = {
    "empty wav": (_empty_wav, "no samples|empty"),
    "non-audio wav": (_non_audio, "not .*audio|could not be read|unreadable|corrupt"),
    "truncated wav": (_truncated, "not .*audio|could not be read|unreadable|corrupt|truncated"),
    "alignment with no wav": (_no_wav, "no .*audio|no matching|without"),
    "interval past the end": (_past_end, "past the end|beyond"),
    "overlapping intervals": (_overlapping, "overlap"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_corpus_file(case, exported, tmp_path, capsys):
    corrupt, pattern = CASES[case]
    corpus = _copy(exported, tmp_path / "corpus")
    culprit = corrupt(corpus)
    out = tmp_path / "out"
    rc, err = _run(capsys, out, "--corpus", f"aligned:{corpus}")
    assert rc == 2
    assert culprit in err, err
    import re

    assert re.search(pattern, err, re.IGNORECASE), err
    assert not (out / "results.sqlite").exists() and not (out / "manifest.json").exists()


def test_corpus_with_a_class_missing(exported, tmp_path, capsys):
    corpus = _copy(exported, tmp_path / "corpus")
    for p in corpus.rglob("*.PHN"):
        if " uw" in p.read_text():
            p.unlink()
            p.with_suffix(".wav").unlink()
    rc, err = _run(capsys, tmp_path / "out", "--corpus", f"aligned:{corpus}", "--tasks", "vowel5")
    assert rc == 2 and "no segment of class(es) uw" in err
    assert not (tmp_path / "out" / "results.sqlite").exists()


@pytest.mark.parametrize("args, message", [
    (["--tasks", "vowel6"], "unknown task(s) 'vowel6'"),
    (["--methods", "gradcan"], "Did you mean 'gradcam'"),
    (["--metrics", "formant_mass"], "unknown metric 'formant_mass'"),
    (["--corpus", "timitt:/x"], "unknown corpus kind 'timitt'"),
    (["--corpus", "aligned:/no/such/folder"], "/no/such/folder"),
    (["--weights", "/no/such/weights.pth"], "weights file /no/such/weights.pth does not exist"),
])
def test_unknown_names_and_missing_files(args, message, tmp_path, capsys):
    rc, err = _run(capsys, tmp_path / "out", *args)
    assert rc == 2 and message in err, err
    assert not (tmp_path / "out" / "results.sqlite").exists()


@pytest.mark.parametrize("args", [["--profile", "fast"], ["--methodz", "cam"], ["--seed", "one"]])
def test_unknown_profile_and_options_exit_2(args, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--output", str(tmp_path / "out"), *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert args[0] in err or args[-1] in err


def test_weights_that_do_not_fit(tmp_path, capsys):
    import torch
    import torchvision

    bad = tmp_path / "resnet34.pth"
    torch.save(torchvision.models.resnet34().state_dict(), bad)
    rc, err = _run(capsys, tmp_path / "out", "--weights", str(bad))
    assert rc == 2 and "holds a resnet34 state dict; the run's architecture is resnet18" in err and str(bad) in err


def test_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, err = _run(capsys, blocker / "out")
    assert rc == 2 and "not writable" in err


def test_a_good_aligned_corpus_runs_end_to_end_with_praat_tracks(exported, tmp_path, capsys):
    import json

    corpus = _copy(exported, tmp_path / "corpus")
    out = tmp_path / "out"
    rc = main(["run", "--profile", "smoke", "--output", str(out), "--no-progress", "--corpus", f"aligned:{corpus}",
               "--methods", "cam", "--folds", "1"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err[-2000:]
    assert "### vowel5-4k" in captured.out and "segments from" in captured.err  # the load report
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["corpus"]["spec"] == f"aligned:{corpus}" and manifest["corpus"]["segments"] > 100
    import os
    from pathlib import Path

    shared = Path(os.environ["SPECXAI_CACHE"]) / "praat"  # tracks measured with Praat, in the shared cache
    assert list(shared.glob("*.npz")) and not (out / "cache" / "praat").exists()


class _FullDisk:
    """A SQLite connection whose second chunk write fails as on a full disk."""

    def __init__(self, conn) -> None:
        self._conn, self.calls = conn, 0

    def executemany(self, *args):
        import sqlite3

        self.calls += 1
        if self.calls == 2:
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.executemany(*args)

    def __enter__(self):
        return self._conn.__enter__()

    def __exit__(self, *exc):
        return self._conn.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_disk_full_during_scoring_keeps_committed_rows(tmp_path, capsys, monkeypatch):
    import sqlite3

    from specxai_bench.results.store import ResultStore

    real_init = ResultStore.__init__

    def init(self, path):
        real_init(self, path)
        self.conn = _FullDisk(self.conn)

    out = tmp_path / "out"
    monkeypatch.setattr(ResultStore, "__init__", init)
    rc, err = _run(capsys, out, "--methods", "cam", "--tasks", "voicing", "--batch-size", "4")
    assert rc == 2 and "could not write results to" in err and "rerun the same command" in err
    with sqlite3.connect(out / "results.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM rows").fetchone()[0] > 0  # the first chunk is kept
    assert not (out / "manifest.json").exists()
    monkeypatch.undo()
    rc, _ = _run(capsys, out, "--methods", "cam", "--tasks", "voicing", "--batch-size", "4")
    assert rc == 0
