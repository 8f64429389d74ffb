import numpy as np
import pytest
import soundfile as sf

from specxai_bench.data.corpora.aligned import (
    SKIP_IGNORED,
    SKIP_NO_ALIGNMENT,
    SKIP_NOT_SELECTED,
    SKIP_REDUCED,
    SKIP_SHORT,
    SKIP_UNKNOWN,
    LoadReport,
    load_aligned_folder,
)
from specxai_bench.data.corpora.intervals import Interval
from specxai_bench.data.corpora.textgrid import write_textgrid
from specxai_bench.errors import ConfigError, DataError


def _flat(audio, tmp_path, name="mycorpus", sr=22050, phones=(("aa", 0.05, 0.2), ("iy", 0.2, 0.3)), n=3):
    root = tmp_path / name
    for i in range(n):
        audio.write_wav(root / f"utt{i}.wav", audio.vowel(sr=sr, dur=0.35, seed=i), sr)
        write_textgrid(root / f"utt{i}.TextGrid", {"words": [Interval(0.05, 0.3, "hi")],
                                                   "phones": [Interval(a, b, lab) for lab, a, b in phones]}, xmax=0.35)
    return root


def test_timit_tree_speakers_groups_labels_and_report(timit_tree):
    corpus, report = load_aligned_folder(timit_tree, measure_tracks=False)
    assert [s.id for s in corpus.segments] == ["DR1/FCJF0/SA1/3_aa", "DR1/MDAB0/SX1/1_s", "DR1/MDAB0/SX1/2_uw"]
    assert [(s.speaker, s.group) for s in corpus.segments] == [("FCJF0", "women")] + [("MDAB0", "men")] * 2
    assert {s.utterance for s in corpus.segments} == {"DR1/FCJF0/SA1", "DR1/MDAB0/SX1"}
    assert corpus.name == "TIMIT" and all(s.sample_rate == 16000 for s in corpus.segments)  # never upsampled
    aa = corpus.segments[0]
    assert aa.start == pytest.approx(0.25, abs=1 / 16000) and aa.duration == pytest.approx(0.15, abs=1 / 16000)
    assert isinstance(report, LoadReport) and (report.utterances, report.segments) == (2, 3)
    assert report.skipped == {SKIP_IGNORED: 4, SKIP_SHORT: 1, SKIP_REDUCED: 1}  # h# x3, pcl; the 10 ms iy; ix
    assert report.warnings == {} and report.sample_rate == 16000
    assert report.labels.mapped == {"ux->uw": 1} and report.labels.reduced == {"ix": 1}
    assert report.speakers == {"FCJF0": "women", "MDAB0": "men"}
    text = report.summary()
    assert "3 segments from 2 utterances, 2 speakers (men 1, women 1), 16000 Hz (full band 0-8000 Hz)" in text
    assert "shorter than min_duration" in text and "ux->uw x1" in text and "reduced vowels kept apart" in text
    folded, report = load_aligned_folder(timit_tree, measure_tracks=False, folding="timit")
    assert [s.id for s in folded.segments][:1] == ["DR1/FCJF0/SA1/1_ih"] and report.labels.mapped["ix->ih"] == 1


def test_segment_audio_is_the_interval_samples(timit_tree):
    corpus, _ = load_aligned_folder(timit_tree, sample_rate=16000, measure_tracks=False)
    audio, _ = sf.read(timit_tree / "DR1/FCJF0/SA1.WAV", dtype="float32")
    aa = corpus.segments[0]
    np.testing.assert_array_equal(aa.audio, audio[4000:6400])
    assert aa.audio.dtype == np.float32


def test_loading_is_deterministic(timit_tree):
    a, _ = load_aligned_folder(timit_tree, measure_tracks=False)
    b, _ = load_aligned_folder(timit_tree, measure_tracks=False)
    assert a.fingerprint() == b.fingerprint()


def test_flat_folder_is_one_speaker_named_after_it(audio, tmp_path):
    corpus, report = load_aligned_folder(_flat(audio, tmp_path), group="children", measure_tracks=False)
    assert {(s.speaker, s.group) for s in corpus.segments} == {("mycorpus", "children")}
    assert [s.id for s in corpus.segments[:2]] == ["utt0/1_aa", "utt0/2_iy"]  # index 0: the leading empty interval
    assert report.warnings == {}


def test_speakers_csv_gives_groups(audio, tmp_path):
    root = _flat(audio, tmp_path / "x", name="spk1", n=1).parent
    audio.write_text(root / "speakers.csv", "speaker,group\nspk1,children\n")
    corpus, _ = load_aligned_folder(root, measure_tracks=False)
    assert {(s.speaker, s.group) for s in corpus.segments} == {("spk1", "children")}
    audio.write_text(root / "speakers.csv", "speaker,group\nspk1,teens\n")
    with pytest.raises(DataError, match=r"speakers.csv, line 2"):
        load_aligned_folder(root, measure_tracks=False)


def test_label_selection_min_duration_and_unknown_labels(audio, tmp_path):
    phones = (("AA1", 0.0, 0.1), ("ɑː", 0.1, 0.2), ("iy", 0.2, 0.22), ("s", 0.22, 0.3))
    root = _flat(audio, tmp_path, phones=phones, n=1)
    corpus, report = load_aligned_folder(root, labels=["aa", "iy"], min_duration=0.05, measure_tracks=False)
    assert [s.label for s in corpus.segments] == ["aa"]
    assert report.skipped == {SKIP_UNKNOWN: 1, SKIP_SHORT: 1, SKIP_NOT_SELECTED: 1, SKIP_IGNORED: 1}  # trailing gap
    assert report.labels.unknown == {"ɑː": 1}


def test_bad_options_are_config_errors(timit_tree):
    with pytest.raises(ConfigError, match="did you mean"):
        load_aligned_folder(timit_tree, labels=["iyy"])
    with pytest.raises(ConfigError, match="sample_rate"):
        load_aligned_folder(timit_tree, sample_rate=0)
    with pytest.raises(ConfigError, match="group"):
        load_aligned_folder(timit_tree, group="kids")


def test_stereo_is_mixed_down_with_a_counted_warning(audio, tmp_path):
    root = _flat(audio, tmp_path, n=1)
    mono = audio.vowel(sr=22050, dur=0.35)
    sf.write(root / "utt0.wav", np.stack([mono, 0 * mono], 1), 22050)
    corpus, report = load_aligned_folder(root, measure_tracks=False)
    assert report.warnings == {"2-channel audio mixed down to mono": 1}
    assert corpus.segments[0].audio.ndim == 1


def test_audio_without_alignment_is_skipped_but_alignment_without_audio_is_fatal(audio, tmp_path):
    root = _flat(audio, tmp_path, n=2)
    (root / "utt1.TextGrid").unlink()
    _, report = load_aligned_folder(root, measure_tracks=False)
    assert report.skipped[SKIP_NO_ALIGNMENT] == 1 and report.utterances == 1
    (root / "utt0.wav").unlink()
    with pytest.raises(DataError, match=r"utt0.TextGrid: alignment without audio"):
        load_aligned_folder(root, measure_tracks=False)


@pytest.mark.parametrize("content, match", [
    (b"", "not readable audio"),
    (b"this is not audio at all" * 20, "not readable audio"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not readable audio"),
], ids=["empty-file", "text-bytes", "truncated-header"])
def test_corrupt_audio_names_the_file(audio, tmp_path, content, match):
    root = _flat(audio, tmp_path, n=2)
    (root / "utt1.wav").write_bytes(content)
    with pytest.raises(DataError, match=match) as e:
        load_aligned_folder(root, measure_tracks=False)
    assert "utt1.wav" in str(e.value)


def test_wav_with_no_samples(audio, tmp_path):
    root = _flat(audio, tmp_path, n=1)
    sf.write(root / "utt0.wav", np.zeros(0, np.float32), 22050)
    with pytest.raises(DataError, match="utt0.wav: audio file holds no samples"):
        load_aligned_folder(root, measure_tracks=False)


def test_interval_past_the_end_of_the_audio(audio, timit_tree):
    audio.write_text(timit_tree / "DR1/MDAB0/SX1.PHN", "0 1600 h#\n1600 9000 s\n")
    with pytest.raises(DataError, match=r"SX1.PHN, line 2: .*past the end"):
        load_aligned_folder(timit_tree, measure_tracks=False)


@pytest.mark.parametrize("phn, match", [("0 3000 aa\n2000 4000 iy\n", "overlaps"),
                                        ("2000 4000 aa\n0 2000 iy\n", "sorted")])
def test_overlapping_or_unsorted_intervals(audio, timit_tree, phn, match):
    audio.write_text(timit_tree / "DR1/MDAB0/SX1.PHN", phn)
    with pytest.raises(DataError, match=f"SX1.PHN, line 2: .*{match}"):
        load_aligned_folder(timit_tree, measure_tracks=False)


def test_folder_with_no_usable_segment(audio, tmp_path):
    root = _flat(audio, tmp_path, phones=(("ɑː", 0.0, 0.1), ("iː", 0.1, 0.3)), n=1)
    with pytest.raises(DataError, match="no usable segment.*IPA") as e:
        load_aligned_folder(root, measure_tracks=False)
    assert str(root) in str(e.value) and "unknown labels: 2" in str(e.value)
    with pytest.raises(DataError, match="no usable segment"):
        load_aligned_folder(tmp_path / "mycorpus", labels=["uw"], measure_tracks=False)
    (tmp_path / "void").mkdir()
    with pytest.raises(DataError, match="no usable segment"):
        load_aligned_folder(tmp_path / "void")
    with pytest.raises(DataError, match="not a folder"):
        load_aligned_folder(tmp_path / "missing")


def test_timit_style_nist_and_riff_copies_are_one_utterance(timit_tree):
    audio, sr = sf.read(timit_tree / "DR1/MDAB0/SX1.WAV", dtype="float32")
    sf.write(timit_tree / "DR1/MDAB0/SX1.WAV.wav", audio, sr)
    corpus, report = load_aligned_folder(timit_tree, measure_tracks=False)
    assert report.utterances == 2 and len(corpus) == 3
    assert report.skipped["duplicate audio of one utterance (file)"] == 1


def test_praat_tracks_are_measured_per_utterance_and_cached(timit_tree, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    corpus, _ = load_aligned_folder(timit_tree, cache_dir=cache)
    aa = corpus.segments[0]
    assert aa.tracks.source == "praat" and len(aa.tracks.times) >= 20
    assert aa.tracks.times.min() >= 0 and aa.tracks.times.max() <= aa.duration + 1e-9
    assert np.nanmedian(aa.tracks.f0) == pytest.approx(210, rel=0.03)  # the women's fixture F0
    assert np.nanmedian(aa.tracks.formants[:, 0]) == pytest.approx(700, rel=0.1)
    assert len(list(cache.glob("*.npz"))) == 2  # one per utterance, not per segment

    import specxai_bench.data.phonetics as phonetics

    monkeypatch.setattr(phonetics, "_measure", lambda *a, **k: pytest.fail("cache not used"))
    again, _ = load_aligned_folder(timit_tree, cache_dir=cache)
    np.testing.assert_array_equal(again.segments[0].tracks.formants, aa.tracks.formants)
