import argparse

import numpy as np
import parselmouth
import pytest
from parselmouth.praat import call

from specxai_bench.cli import corpus as corpus_cli
from specxai_bench.data.corpora.aligned import load_aligned_folder
from specxai_bench.data.corpora.base import Corpus, Segment, Tracks
from specxai_bench.data.corpora.export import export_corpus
from specxai_bench.errors import ConfigError, DataError

SR = 16000


def _seg(audio, label, speaker, group, utt, start=0.0, seed=0, dur=0.1):
    wave = audio.vowel(sr=SR, dur=dur, seed=seed)
    truth = Tracks(times=np.array([0.0]), f0=np.array([120.0]), formants=np.array([[700.0, 1200.0, 2600.0]]),
                   source="truth")
    return Segment(id=f"{utt}#{label}{seed}", label=label, audio=wave, sample_rate=SR, speaker=speaker, group=group,
                   utterance=utt, tracks=truth, start=start)


@pytest.fixture
def corpus(audio):
    segs = [
        _seg(audio, "aa", "m01", "men", "m01/aa_00"),  # synthetic style: one segment, one utterance
        _seg(audio, "iy", "w01", "women", "w01/iy_00", seed=1, dur=0.06),
        # one utterance of three phones, given out of order, with a 50 ms gap before "s"
        _seg(audio, "s", "c01", "children", "c01/u1", start=0.25, seed=2),
        _seg(audio, "ae", "c01", "children", "c01/u1", start=0.05, seed=3),
        _seg(audio, "uw", "c01", "children", "c01/u1", start=0.15, seed=4),
    ]
    return Corpus(name="hand", segments=tuple(segs))


def _key(s):
    return s.speaker, s.group, s.label, round(s.start, 2)


def test_round_trip_through_load_aligned_folder(tmp_path, corpus):
    out = export_corpus(corpus, tmp_path / "exp")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "c01/u1.PHN", "c01/u1.TextGrid", "c01/u1.wav", "m01/aa_00.PHN", "m01/aa_00.TextGrid", "m01/aa_00.wav",
        "speakers.csv", "w01/iy_00.PHN", "w01/iy_00.TextGrid", "w01/iy_00.wav"]
    assert (out / "speakers.csv").read_text() == "speaker,group\nc01,children\nm01,men\nw01,women\n"
    assert (out / "c01/u1.PHN").read_text() == "800 2400 ae\n2400 4000 uw\n4000 5600 s\n"
    back, report = load_aligned_folder(out, sample_rate=SR, measure_tracks=False)
    assert len(back) == len(corpus) and report.skipped == {}
    assert sorted(map(_key, back.segments)) == sorted(map(_key, corpus.segments))
    by_start = {(s.utterance, round(s.start, 3)): s for s in back.segments}
    for s in corpus.segments:
        b = by_start[(s.utterance, round(s.start, 3))]
        assert abs(b.duration - s.duration) <= 0.01 and b.label == s.label
        np.testing.assert_allclose(b.audio, s.audio, atol=2 / 32768)  # 16-bit quantisation only
    wav = parselmouth.Sound(str(out / "c01/u1.wav"))
    assert wav.get_total_duration() == pytest.approx(0.35) and wav.values[0, :800].max() == 0.0  # leading silence
    tg = parselmouth.read(str(out / "c01/u1.TextGrid"))
    assert [call(tg, "Get label of interval", 1, i) for i in (1, 2, 3, 4)] == ["", "ae", "uw", "s"]


def test_round_trip_of_the_synthetic_corpus(tmp_path):
    synthetic = pytest.importorskip("specxai_bench.data.corpora.synthetic")
    corpus = synthetic.synthesize(synthetic.SyntheticConfig(speakers_per_group=1, vowel_tokens=1, consonant_tokens=1))
    back, _ = load_aligned_folder(export_corpus(corpus, tmp_path / "syn"), sample_rate=corpus.segments[0].sample_rate,
                                  measure_tracks=False)
    assert len(back) == len(corpus)
    assert sorted(map(_key, back.segments)) == sorted(map(_key, corpus.segments))
    durations = {s.utterance: s.duration for s in corpus.segments}
    assert all(abs(s.duration - durations[s.utterance]) <= 0.01 for s in back.segments)


def test_existing_folder_is_kept_unless_overwrite(tmp_path, corpus):
    out = tmp_path / "exp"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not an empty folder"):
        export_corpus(corpus, out)
    assert (out / "keep.txt").exists()
    export_corpus(corpus, out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "speakers.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["exp"]  # no temp folders left behind


def test_failed_export_leaves_nothing(tmp_path, corpus, audio):
    bad = Corpus("bad", corpus.segments + (_seg(audio, "iy", "c01", "children", "c01/u1", start=0.3, seed=5),))
    with pytest.raises(DataError, match="must not overlap"):
        export_corpus(bad, tmp_path / "exp")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("speaker, group, match", [("a/b", "men", "folder name"), ("m01", "kids", "group"),
                                                   ("m01", "women", "two groups")])
def test_bad_speakers_and_groups(tmp_path, corpus, audio, speaker, group, match):
    bad = Corpus("bad", corpus.segments + (_seg(audio, "iy", speaker, group, "x/y"),))
    with pytest.raises(DataError, match=match):
        export_corpus(bad, tmp_path / "exp")


def _cli(*argv):
    parser = argparse.ArgumentParser(prog="specxai-bench")
    corpus_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_export_and_stats(tmp_path, corpus, capsys, monkeypatch):
    synthetic = pytest.importorskip("specxai_bench.data.corpora.synthetic")
    seeds = []
    monkeypatch.setattr(synthetic, "synthesize", lambda cfg, progress=False: seeds.append(cfg.seed) or corpus)
    assert _cli("corpus", "export", str(tmp_path / "exp"), "--seed", "3") == 0
    assert seeds == [3] and (tmp_path / "exp/speakers.csv").exists()
    assert _cli("corpus", "stats", str(tmp_path / "exp")) == 0
    text = capsys.readouterr().out
    assert "corpus exp: 5 segments, 5 labels, 3 speakers, 3 utterances" in text
    assert "c01          children        3" in text and "5 segments from 3 utterances" in text
    assert "duration ms: mean 92.0  min 60.0  max 100.0" in text
