"""Real-corpus conventions: who spoke what (nesting, speakers.csv), rates never upsampled, Praat for
unknown speakers, on an MFA / LibriTTS-style corpus exported from the synthetic one."""

from __future__ import annotations

import numpy as np
import pytest

from specxai_bench.data.corpora import aligned
from specxai_bench.data.corpora.aligned import load_aligned_folder
from specxai_bench.data.corpora.base import Corpus
from specxai_bench.data.corpora.export import export_corpus
from specxai_bench.data.corpora.speakers import read_speaker_table
from specxai_bench.data.phonetics import empty_tracks, group_from_f0
from specxai_bench.errors import ConfigError, DataError

VOWELS5 = ["iy", "ae", "ah", "aa", "uw"]


def subset(corpus: Corpus, speakers: list[str], labels: list[str] = VOWELS5) -> Corpus:
    keep = [s for s in corpus.segments if s.speaker in speakers and s.label in labels]
    return Corpus(corpus.name, tuple(keep), corpus.description)


@pytest.fixture(scope="module")
def mfa_root(small_corpus, tmp_path_factory):
    """Four speakers (two men, two women) as MFA would align them, in speaker/chapter/ folders."""
    return export_corpus(subset(small_corpus, ["m00", "m01", "w00", "w01"]),
                         tmp_path_factory.mktemp("mfa") / "corpus", style="mfa")


def test_mfa_export_looks_like_libritts_with_stress_digits(mfa_root):
    wavs = sorted(p.relative_to(mfa_root).as_posix() for p in mfa_root.rglob("*.wav"))
    assert wavs[0] == "m00/1/m00_1_aa_00.wav" and {w.split("/")[1] for w in wavs} == {"1", "2"}
    assert not list(mfa_root.rglob("*.PHN"))
    text = (mfa_root / "m00/1/m00_1_aa_00.TextGrid").read_text()
    assert '"words"' in text and '"phones"' in text and '"AA1"' in text
    assert (mfa_root / "speakers.csv").read_text() == "speaker,gender\nm00,M\nm01,M\nw00,F\nw01,F\n"


def test_nested_folders_give_the_right_speakers(mfa_root):
    right = {"m00": "men", "m01": "men", "w00": "women", "w01": "women"}
    for how in ("grandparent", 1, "1"):
        corpus, report = load_aligned_folder(mfa_root, speaker_from=how, measure_tracks=False)
        assert report.speakers == right and {s.speaker for s in corpus.segments} == set(right)
        assert not any("WARNING" in n for n in report.notes)
    _, report = load_aligned_folder(mfa_root, measure_tracks=False)  # the parent folder: chapters
    assert report.speakers == {"1": "unknown", "2": "unknown"}
    text = report.summary()
    assert "names 4 speaker(s) that match no speaker of the corpus (read with --speaker-from parent): m00, m01, " \
           "w00, w01; they are folder names at depth 1 below the corpus root: try --speaker-from 1" in text
    assert "use --speaker-from grandparent" in text


def test_speaker_from_csv_maps_files_to_speakers(mfa_root, tmp_path):
    import shutil

    root = tmp_path / "c"
    shutil.copytree(mfa_root, root)
    files = sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.wav"))
    rows = [f"{f}.wav,{'alice' if f.startswith('w') else 'bob'},{'female' if f.startswith('w') else 'male'}"
            for f in files[1:]]  # the first file is not listed: skipped and counted
    (root / "speakers.csv").write_text("file,speaker,sex\n" + "\n".join(rows) + "\n")
    corpus, report = load_aligned_folder(root, speaker_from="csv", measure_tracks=False)
    assert report.speakers == {"alice": "women", "bob": "men"}
    assert report.skipped[aligned.SKIP_NOT_IN_CSV] == 1
    (root / "speakers.csv").unlink()
    with pytest.raises(DataError, match="--speaker-from csv reads each file's speaker"):
        load_aligned_folder(root, speaker_from="csv", measure_tracks=False)


@pytest.mark.parametrize("how, match", [("grandma", "must be one of parent, grandparent, csv"), (0, "at least 1")])
def test_bad_speaker_from(mfa_root, how, match):
    with pytest.raises(ConfigError, match=match):
        load_aligned_folder(mfa_root, speaker_from=how, measure_tracks=False)
    with pytest.raises(DataError, match="needs the wav at least 4 folder"):
        load_aligned_folder(mfa_root, speaker_from=4, measure_tracks=False)


@pytest.mark.parametrize("header, value, group", [("group", "women", "women"), ("gender", "F", "women"),
                                                  ("sex", "male", "men"), ("Gender", "m", "men"),
                                                  ("sex", "", "unknown"), ("gender", "child", "children")])
def test_speakers_file_group_gender_or_sex(tmp_path, header, value, group):
    path = tmp_path / "speakers.csv"
    path.write_text(f"speaker,{header}\nspk,{value}\n")
    assert read_speaker_table(path).groups == {"spk": group}


def test_speakers_file_errors_name_the_line(tmp_path):
    path = tmp_path / "speakers.csv"
    path.write_text("speaker,gender\nspk,robot\n")
    with pytest.raises(DataError, match=r"speakers.csv, line 2: gender 'robot' is not one of"):
        read_speaker_table(path)
    path.write_text("name,gender\nspk,f\n")
    with pytest.raises(DataError, match="line 1: header must name 'speaker' and one of 'group', 'gender', 'sex'"):
        read_speaker_table(path)


def test_a_16_khz_corpus_keeps_its_rate_and_gets_a_0_to_8_khz_full_band(small_corpus, tmp_path):
    from specxai_bench.data.corpora.loading import resample_down
    from specxai_bench.data.datasets import spectrogram_config
    from specxai_bench.data.spectrogram import spectrogram_image
    from specxai_bench.data.tasks import get_task

    root = export_corpus(resample_down(subset(small_corpus, ["m00", "w00"]), 16000), tmp_path / "c16")
    corpus, report = load_aligned_folder(root, measure_tracks=False)
    assert report.sample_rate == 16000 and {s.sample_rate for s in corpus.segments} == {16000}
    assert report.warnings == {} and "16000 Hz (full band 0-8000 Hz)" in report.summary()
    image, axis = spectrogram_image(corpus.segments[0], spectrogram_config(get_task("vowel5"), 64))
    assert (axis.fmin, axis.fmax) == (0.0, 8000.0) and image.shape == (64, 64)
    assert image[-4:].max() > 0  # the top rows hold energy: nothing above the corpus's own Nyquist is shown
    lower, report = load_aligned_folder(root, measure_tracks=False, sample_rate=8000)
    assert {s.sample_rate for s in lower.segments} == {8000} and "resampled 16000 -> 8000 Hz (down only)" in \
        report.warnings
    higher, _ = load_aligned_folder(root, measure_tracks=False, sample_rate=22050)  # a cap, never an upsampling
    assert {s.sample_rate for s in higher.segments} == {16000}


def test_mixed_rates_meet_at_the_lowest(small_corpus, tmp_path):
    from specxai_bench.data.corpora.loading import resample_down

    low = resample_down(subset(small_corpus, ["w00"]), 16000)
    mixed = Corpus("mixed", tuple(subset(small_corpus, ["m00"]).segments) + low.segments)
    corpus, report = load_aligned_folder(export_corpus(mixed, tmp_path / "mixed"), measure_tracks=False)
    assert {s.sample_rate for s in corpus.segments} == {16000}
    assert "mixes sample rates (16000, 22050 Hz): every utterance is resampled down to the lowest" in report.summary()


def test_praat_ceiling_from_median_f0_for_unknown_speakers_and_failures_counted(mfa_root, tmp_path, monkeypatch):
    (tmp_path / "c").mkdir()
    import shutil

    root = tmp_path / "c" / "corpus"
    shutil.copytree(mfa_root, root)
    (root / "speakers.csv").unlink()  # every group unknown
    seen: dict[str, float] = {}
    measure = aligned.measure_tracks

    def spy(audio, rate, *, ceiling, settings, cache_dir):
        utterance = len(seen)
        seen[utterance] = ceiling
        return empty_tracks() if utterance == 0 else measure(audio, rate, ceiling=ceiling, settings=settings,
                                                             cache_dir=cache_dir)

    monkeypatch.setattr(aligned, "measure_tracks", spy)
    corpus, report = load_aligned_folder(root, speaker_from="grandparent", cache_dir=tmp_path / "cache")
    assert report.praat_failures == 1 and "Praat could not analyse 1 utterance(s)" in report.summary()
    ceiling = {s.speaker: None for s in corpus.segments}
    note = next(n for n in report.notes if n.startswith("Praat formant ceiling from each speaker's median F0"))
    for speaker in ceiling:
        assert f"{speaker} " in note
    assert "m00 " in note and "-> 5000" in note.split("m00 ")[1].split(";")[0]
    assert "-> 5500" in note.split("w00 ")[1].split(";")[0]
    assert sorted(set(seen.values())) == [5000.0, 5500.0]
    assert {s.group for s in corpus.segments} == {"unknown"}  # the group stays unknown; only Praat's ceiling follows F0
    assert group_from_f0(float("nan")) == "unknown"
    assert [group_from_f0(hz) for hz in (110, 170, 300)] == ["men", "women", "children"]


def test_praat_cache_is_shared_across_output_folders(mfa_root, monkeypatch):
    import specxai_bench.data.phonetics as phonetics

    first, _ = load_aligned_folder(mfa_root, speaker_from=1)  # the shared cache (tests: a temp folder)
    cached = list(phonetics.shared_cache_dir().joinpath("praat").glob("*.npz"))
    assert len(cached) >= 10
    monkeypatch.setattr(phonetics, "_measure", lambda *a, **k: pytest.fail("the shared cache was not used"))
    again, _ = load_aligned_folder(mfa_root, speaker_from=1)
    np.testing.assert_array_equal(again.segments[3].tracks.formants, first.segments[3].tracks.formants)
