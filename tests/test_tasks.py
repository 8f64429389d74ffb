from collections import Counter

import pytest

from specxai_bench.data.corpora.targets import NASALS, VOICED_FRICATIVES
from specxai_bench.data.splits import select_segments
from specxai_bench.data.tasks import TASKS, get_task, resolve_tasks
from specxai_bench.errors import DataError, UnknownNameError


@pytest.mark.parametrize("name", list(TASKS))
def test_no_speaker_in_two_splits(small_corpus, name):
    splits = select_segments(TASKS[name], small_corpus, seed=0)
    speakers = {k: {s.speaker for s, _ in v} for k, v in splits.items()}
    assert not speakers["train"] & speakers["val"]
    assert not speakers["train"] & speakers["test"]
    assert not speakers["val"] & speakers["test"]
    assert all(speakers.values())


@pytest.mark.parametrize("name", list(TASKS))
def test_classes_are_balanced_in_every_split(small_corpus, name):
    for items in select_segments(TASKS[name], small_corpus, seed=0).values():
        counts = Counter(c for _, c in items)
        assert len(counts) == len(TASKS[name].classes) and len(set(counts.values())) == 1


def test_voiced_class_includes_voiced_fricatives_and_nasals(small_corpus):
    items = [s for v in select_segments(TASKS["voicing"], small_corpus, seed=0).values() for s, c in v if c == 0]
    labels = {s.label for s in items}
    assert labels & set(VOICED_FRICATIVES) and labels & set(NASALS)


def test_split_is_deterministic_and_seeded(small_corpus):
    a = select_segments(TASKS["vowel5"], small_corpus, seed=0)
    b = select_segments(TASKS["vowel5"], small_corpus, seed=0)
    assert [s.id for s, _ in a["test"]] == [s.id for s, _ in b["test"]]


def test_unknown_task_and_missing_class(small_corpus):
    with pytest.raises(UnknownNameError, match="Known tasks: vowel5, vowel5-4k, voicing"):
        resolve_tasks("vowel5,vowels")
    from specxai_bench.data.corpora.base import Corpus

    only_vowels = Corpus("v", tuple(s for s in small_corpus.segments if s.label in ("iy", "ae")))
    with pytest.raises(DataError, match="no segment of class"):
        select_segments(get_task("vowel5"), only_vowels, seed=0)


def test_task_kinds_are_the_kinds_of_the_registered_tasks():
    from specxai_bench.data.tasks import ALL_TASKS, TASK_KINDS

    assert TASK_KINDS == tuple(dict.fromkeys(t.kind for t in ALL_TASKS.values()))
