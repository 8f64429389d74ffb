"""Audio that poisoned a model: out-of-range samples, digital silence, cancelling stereo, a 1 Hz rate.

Each is stopped before training, named, and counted or refused (data/corpora/aligned.py,
data/datasets.py, model/training.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from specxai_bench.cli import main
from specxai_bench.data.corpora.aligned import SKIP_SILENT, WARN_CANCEL, load_aligned_folder
from specxai_bench.data.tasks import get_task
from specxai_bench.errors import DataError
from specxai_bench.model.profiles import PROFILES
from specxai_bench.model.training import TrainingError, train_or_load

from .conftest import tiny_data


def _files(corpus: Path, label: str) -> list[Path]:
    return sorted(corpus.rglob(f"{label}_*.wav"))


def test_huge_samples_stop_the_run_before_training_naming_the_file(corpus_copy, tmp_path, capsys):
    wav = _files(corpus_copy, "iy")[0]
    audio, sr = sf.read(wav, dtype="float32")
    sf.write(wav, np.where(np.arange(len(audio)) % 2 == 0, 1e30, -1e30).astype(np.float32), sr, subtype="FLOAT")
    out = tmp_path / "out"
    rc = main(["run", "--profile", "smoke", "--corpus", f"aligned:{corpus_copy}", "--tasks", "vowel5-4k",
               "--methods", "cam", "--output", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2, err[-2000:]
    utterance = f"{wav.parent.name}/{wav.stem}"
    assert utterance in err and "not finite" in err and "peak 1e+30" in err
    assert "cam" not in err.split("error:")[-1]  # blamed on the audio, not on the attribution method
    assert not (out / "results.sqlite").exists() and not list((out / "checkpoints").glob("*.pt"))


def test_a_non_finite_loss_stops_training_and_caches_nothing(tmp_path):
    data = tiny_data()
    profile = dataclasses.replace(PROFILES["smoke"], image_size=32, lr=1e30, epochs=2, batch_size=3)
    with pytest.raises(TrainingError, match=r"the loss became nan at batch \d+ .*no checkpoint was written"):
        train_or_load(get_task("vowel5"), {"train": data, "val": data, "test": data}, profile,
                      corpus_fingerprint="x", seed=0, device="cpu", checkpoint_dir=tmp_path, progress=False)
    assert not list(tmp_path.iterdir())  # no checkpoint, no resume state, no temp file


def test_digital_silence_is_skipped_and_counted(corpus_copy):
    silent = _files(corpus_copy, "aa")[:9]
    for wav in silent:
        audio, sr = sf.read(wav, dtype="float32")
        sf.write(wav, np.zeros_like(audio), sr, subtype="PCM_16")
    corpus, report = load_aligned_folder(corpus_copy, measure_tracks=False)
    assert report.skipped[SKIP_SILENT] >= 9
    assert not {f"{w.parent.name}/{w.stem}" for w in silent} & {s.utterance for s in corpus.segments}
    assert "digital silence" in report.summary()


def test_a_silent_segment_from_any_corpus_cannot_become_an_image(small_corpus):
    from specxai_bench.data.datasets import build_task_data
    from specxai_bench.data.splits import select_segments

    task = get_task("vowel5-4k")
    selected = select_segments(task, small_corpus, 0)
    seg, c = selected["train"][0]
    selected["train"][0] = (dataclasses.replace(seg, audio=np.zeros_like(seg.audio)), c)
    with pytest.raises(DataError, match=f"segment {seg.id} .*image constant"):
        build_task_data(task, small_corpus, 32, 0, progress=False, selected=selected)


def test_stereo_channels_that_cancel_are_caught_by_the_silence_rule(corpus_copy):
    wav = _files(corpus_copy, "iy")[0]
    audio, sr = sf.read(wav, dtype="float32")
    sf.write(wav, np.stack([audio, -audio], 1), sr, subtype="PCM_16")
    corpus, report = load_aligned_folder(corpus_copy, measure_tracks=False)
    assert report.warnings[WARN_CANCEL] == 1 and report.skipped[SKIP_SILENT] >= 1
    assert f"{wav.parent.name}/{wav.stem}" not in {s.utterance for s in corpus.segments}


def test_an_implausible_sample_rate_is_refused(tmp_path):
    folder = tmp_path / "corpus" / "spk1"
    folder.mkdir(parents=True)
    sf.write(folder / "u1.wav", np.linspace(-0.5, 0.5, 8).astype(np.float32), 1, subtype="PCM_16")
    (folder / "u1.PHN").write_text("0 8 aa\n")
    with pytest.raises(DataError, match=r"u1.wav: sample rate 1 Hz is implausible"):
        load_aligned_folder(tmp_path / "corpus", measure_tracks=False)
