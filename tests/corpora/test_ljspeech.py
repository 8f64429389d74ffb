import pytest

from specxai_bench.data.corpora.intervals import Interval
from specxai_bench.data.corpora.ljspeech import SKIP_NOT_ALIGNED, load_ljspeech
from specxai_bench.data.corpora.textgrid import write_textgrid
from specxai_bench.errors import ConfigError, DataError

CLIPS = ("LJ001-0001", "LJ001-0002", "LJ001-0003")


@pytest.fixture
def lj(tmp_path, audio):
    """LJSpeech-1.1 layout with MFA-style TextGrids for the first two clips only."""
    root, aligned = tmp_path / "LJSpeech-1.1", tmp_path / "alignments"
    rows = [f'{c}|Printing, "in the only sense|Printing, "in the only sense' for c in CLIPS]
    audio.write_text(root / "metadata.csv", "\n".join(rows) + "\n")
    for i, clip in enumerate(CLIPS):
        audio.write_wav(root / "wavs" / f"{clip}.wav", audio.vowel(f0=200, sr=22050, dur=0.4, seed=i), 22050)
    aligned.mkdir()
    for clip in CLIPS[:2]:
        write_textgrid(aligned / f"{clip}.TextGrid", {
            "words": [Interval(0.05, 0.35, "printing")],
            "phones": [Interval(0.05, 0.15, "P"), Interval(0.15, 0.3, "IH1"), Interval(0.3, 0.35, "spn")],
        }, xmax=0.4)
    return root, aligned


def test_loads_aligned_clips_as_one_female_speaker(lj):
    corpus, report = load_ljspeech(*lj, measure_tracks=False)
    assert [s.id for s in corpus.segments] == ["LJ001-0001/1_p", "LJ001-0001/2_ih", "LJ001-0002/1_p", "LJ001-0002/2_ih"]
    assert {(s.speaker, s.group) for s in corpus.segments} == {("LJ", "women")}
    assert [s.utterance for s in corpus.segments] == ["LJ001-0001"] * 2 + ["LJ001-0002"] * 2
    assert corpus.name == "ljspeech"
    assert report.skipped[SKIP_NOT_ALIGNED] == 1 and report.utterances == 2


def test_limit_and_options_are_passed_through(lj):
    corpus, _ = load_ljspeech(*lj, limit=1, labels=["ih"], sample_rate=16000, measure_tracks=False)
    assert [s.id for s in corpus.segments] == ["LJ001-0001/2_ih"] and corpus.segments[0].sample_rate == 16000
    with pytest.raises(ConfigError, match="limit"):
        load_ljspeech(*lj, limit=0)


def test_praat_tracks_are_measured(lj):
    corpus, _ = load_ljspeech(*lj, limit=1)
    ih = corpus.segments[1]
    assert ih.tracks.source == "praat" and ih.tracks.f0.size > 10
    assert abs(float(ih.tracks.f0[5]) - 200) < 10


def test_alignment_for_a_clip_not_in_metadata(lj):
    root, aligned = lj
    (aligned / "LJ001-0002.TextGrid").rename(aligned / "LJ999-0001.TextGrid")
    with pytest.raises(DataError, match="LJ999-0001.TextGrid: alignment for clip 'LJ999-0001'"):
        load_ljspeech(root, aligned)


def test_alignment_without_audio(lj):
    root, aligned = lj
    (root / "wavs" / "LJ001-0002.wav").unlink()
    with pytest.raises(DataError, match="LJ001-0002.TextGrid: alignment without audio"):
        load_ljspeech(root, aligned, measure_tracks=False)


def test_metadata_problems(lj, tmp_path):
    root, aligned = lj
    (root / "metadata.csv").write_text("LJ001-0001|a|a\nLJ001-0002 no separator\n")
    with pytest.raises(DataError, match=r"metadata.csv, line 2: expected 'id\|text"):
        load_ljspeech(root, aligned)
    (root / "metadata.csv").write_text("LJ001-0001|a|a\n")
    with pytest.raises(DataError, match="no such folder of TextGrids"):
        load_ljspeech(root, tmp_path / "nowhere")
    (root / "metadata.csv").unlink()
    with pytest.raises(DataError, match="metadata.csv: missing"):
        load_ljspeech(root, aligned)


def test_clip_listed_in_metadata_but_missing(lj):
    root, aligned = lj
    (root / "wavs" / "LJ001-0003.wav").unlink()  # the clip without a TextGrid
    with pytest.raises(DataError, match="LJ001-0003.wav: listed in metadata.csv but missing"):
        load_ljspeech(root, aligned, measure_tracks=False)
