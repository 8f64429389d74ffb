"""Split schemes: speaker k-fold for few speakers, the refused utterance fallback, where speakers went."""

from __future__ import annotations

import pytest

from specxai_bench.data.corpora.base import Corpus
from specxai_bench.data.splits import SPLITS, plan_splits, select_segments
from specxai_bench.data.tasks import get_task
from specxai_bench.errors import ConfigError, DataError


def speakers(corpus: Corpus, n: int) -> Corpus:
    """The first n speakers (men, then women, then children) of the corpus."""
    keep = list(dict.fromkeys(s.speaker for s in corpus.segments))[:n]
    return Corpus("real", tuple(s for s in corpus.segments if s.speaker in keep))


def test_eight_speakers_get_four_folds_each_speaker_tested_exactly_once(small_corpus):
    corpus = speakers(small_corpus, 8)
    plan = plan_splits(corpus, seed=0, folds=0)
    assert plan.folds == 4 and plan.unit == "speaker" and "fewer than 10 speakers: 8" in plan.reason
    tested = [u for a in plan.assignments for u, s in a.items() if s == "test"]
    assert sorted(tested) == sorted({s.speaker for s in corpus.segments})  # each exactly once
    for i, a in enumerate(plan.assignments):
        nxt = plan.assignments[(i + 1) % 4]
        assert {u for u, s in a.items() if s == "val"} == {u for u, s in nxt.items() if s == "test"}
        assert sum(s == "train" for s in a.values()) == 4
    assert {len([u for u, s in a.items() if s == "test"]) for a in plan.assignments} == {2}
    assert [plan.split_id(i) for i in range(4)] == [f"speaker-fold {i}/4" for i in range(1, 5)]
    where = plan.where()
    assert sorted(where) == sorted(tested) and set(where.values()) == {f"fold {i}/4" for i in range(1, 5)}
    text = plan.describe()
    assert "4-fold speaker cross-validation" in text and all(spk in text for spk in tested)
    task = get_task("vowel5-4k")
    for fold, a in enumerate(plan.assignments):
        selected = select_segments(task, corpus, 0, plan, fold)
        for split in SPLITS:
            assert {seg.speaker for seg, _ in selected[split]} == {u for u, s in a.items() if s == split}


def test_fold_count_options(small_corpus):
    corpus = speakers(small_corpus, 8)
    six = speakers(small_corpus, 6)  # three men, three women: one split can be stratified by group
    assert plan_splits(six, 0, folds=1).folds == 1 and plan_splits(six, 0, folds=1).split_id(0) is None
    with pytest.raises(DataError, match="group 'children' has 2 speakers.*--folds 3 or more cross-validates"):
        plan_splits(corpus, 0, folds=1)
    assert plan_splits(corpus, 0, folds=8).folds == 8
    assert plan_splits(small_corpus, 0, folds=0, synthetic=True).folds == 1  # sized by its profile
    assert plan_splits(small_corpus, 0, folds=0).folds == 4  # 9 real speakers
    with pytest.raises(ConfigError, match="--folds 9 needs at least 9 speakers"):
        plan_splits(corpus, 0, folds=9)
    with pytest.raises(ConfigError, match="--folds must be 0"):
        plan_splits(corpus, 0, folds=2)


def test_two_speakers_are_not_silently_split_by_utterance(small_corpus):
    corpus = speakers(small_corpus, 2)
    with pytest.raises(DataError, match=r"has 2 speakers \(m00, m01\).*--split-by utterance"):
        plan_splits(corpus, 0)
    forced = plan_splits(corpus, 0, split_by="utterance")
    assert forced.unit == "utterance" and "speaker leakage" in forced.reason and forced.split_id(0) == "utterance"
    one = plan_splits(speakers(small_corpus, 1), 0)
    assert one.unit == "utterance" and one.split_id(0) is None  # one speaker (LJSpeech): by utterance, as before
    with pytest.raises(ConfigError, match="cross-validates by speaker"):
        plan_splits(speakers(small_corpus, 1), 0, folds=3)


def test_a_finished_model_is_evaluated_on_every_speaker(small_corpus):
    plan = plan_splits(small_corpus, 0, everything="test")
    assert set(plan.assignments[0].values()) == {"test"} and plan.folds == 1
    selected = select_segments(get_task("vowel5"), small_corpus, 0, plan)
    assert not selected["train"] and not selected["val"]
    assert {s.speaker for s, _ in selected["test"]} == {s.speaker for s in small_corpus.segments}
