"""The training cap (--max-train-per-class): per class, round-robin over speakers, seeded, order kept."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from specxai_bench.data.capping import cap_per_class, cap_summary
from specxai_bench.data.corpora.base import Segment, Tracks


def seg(speaker: str, i: int, utterance: str | None = None) -> Segment:
    tracks = Tracks(times=np.zeros(1), f0=np.zeros(1), formants=np.zeros((1, 3)), source="truth")
    return Segment(id=f"{speaker}/{i:03d}", label="iy", audio=np.zeros(8, np.float32), sample_rate=16000,
                   speaker=speaker, group="men", utterance=utterance or f"{speaker}/{i:03d}", tracks=tracks)


def items(per_speaker: dict[str, int], classes: int = 2) -> list[tuple[Segment, int]]:
    out = []
    for spk, n in per_speaker.items():
        out += [(seg(spk, i), i % classes) for i in range(n * classes)]
    return out


def test_a_cap_of_zero_or_above_the_counts_keeps_everything():
    data = items({"a": 5, "b": 5, "c": 5})
    assert cap_per_class(data, 0, seed=0) is data
    assert cap_per_class(data, 15, seed=0) == data
    assert cap_summary(data, data, 15) is None


def test_each_class_gets_the_cap_spread_evenly_over_speakers():
    # one speaker has far more segments than the others: the first N ids would all be hers
    data = items({"a": 40, "b": 6, "c": 6, "d": 6})
    kept = cap_per_class(data, 10, seed=0)
    per_class = Counter(c for _, c in kept)
    assert per_class == {0: 10, 1: 10}
    for c in (0, 1):
        per_speaker = Counter(s.speaker for s, k in kept if k == c)
        assert set(per_speaker) == {"a", "b", "c", "d"}
        assert max(per_speaker.values()) - min(per_speaker.values()) <= 1
    # a speaker with few segments gives them all before another speaker gives more than one extra
    kept = cap_per_class(data, 30, seed=0)
    per_speaker = Counter(s.speaker for s, k in kept if k == 0)
    assert per_speaker == {"a": 12, "b": 6, "c": 6, "d": 6}


def test_the_draw_is_seeded_and_keeps_the_input_order():
    data = items({"a": 9, "b": 9, "c": 9})
    one, again, other = (cap_per_class(data, 7, seed=s) for s in (0, 0, 1))
    assert one == again and one != other
    positions = [data.index(item) for item in one]
    assert positions == sorted(positions)


def test_a_single_speaker_corpus_is_drawn_round_robin_over_utterances():
    data = [(seg("lj", i, utterance=f"lj/utt{i // 4}"), 0) for i in range(40)]  # 10 utterances of 4 segments
    kept = cap_per_class(data, 10, seed=0)
    assert len(kept) == 10 and len({s.utterance for s, _ in kept}) == 10


def test_the_summary_says_what_the_cap_did():
    data = items({"a": 8, "b": 8, "c": 8})
    kept = cap_per_class(data, 5, seed=0)
    assert cap_summary(data, kept, 5) == {"per_class": 5, "available": 48, "kept": 10, "speakers": 3}


@pytest.mark.parametrize("cap", [1, 2, 3])
def test_small_caps_take_one_segment_per_speaker_first(cap):
    data = items({"a": 3, "b": 3, "c": 3, "d": 3})
    kept = cap_per_class(data, cap, seed=0)
    for c in (0, 1):
        assert len({s.speaker for s, k in kept if k == c}) == cap
