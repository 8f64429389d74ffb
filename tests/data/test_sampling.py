"""The round-robin test-sample draw behind ``--max-samples`` (hand-made splits, no corpus)."""

from __future__ import annotations

import numpy as np
import torch

from specxai_bench.data.datasets import TaskData
from specxai_bench.data.sampling import draw_test_samples, label_order, speaker_order
from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.data.tasks import get_task

VOICED = ("z", "v", "m", "iy", "aa")  # three voiced consonants, two vowels
UNVOICED = ("s", "sh", "t", "th")


def split(tokens: int = 3, speakers_per_group: int = 2) -> TaskData:
    """A voicing test split: per speaker every label ``tokens`` times; ids sort children first, as the
    synthetic corpus's do (c00 < m00 < w00)."""
    ids, labels, speakers, groups, targets = [], [], [], [], []
    for group in ("children", "men", "women"):
        for k in range(speakers_per_group):
            spk = f"{group[0]}{k:02d}"
            for c, labs in enumerate((VOICED, UNVOICED)):
                for lab in labs:
                    for t in range(tokens):
                        ids.append(f"{spk}/{lab}_{t:02d}")
                        labels.append(lab), speakers.append(spk), groups.append(group), targets.append(c)
    n = len(ids)
    return TaskData(torch.zeros(n, 1, 4, 4), torch.tensor(targets), tuple(ids), tuple(labels), tuple(speakers),
                    tuple(groups), np.zeros((n, 4)), np.zeros((n, 4, 3)), FrequencyAxis(0.0, 4000.0, 4))


def test_every_test_speaker_appears_once_n_reaches_the_speakers_and_the_draw_is_deterministic():
    data = split()
    for n in (6, 7, 10):
        sub, draw = draw_test_samples(data, n, seed=0)
        for c in (0, 1):
            mine = [s for s, t in zip(sub.speakers, sub.targets.tolist()) if t == c]
            assert len(mine) == n and set(mine) == set(data.speakers)  # all 6 speakers, in every class
            counts = np.unique(mine, return_counts=True)[1]
            assert counts.max() - counts.min() <= 1  # dealt evenly
        again, draw2 = draw_test_samples(data, n, seed=0)
        assert again.ids == sub.ids and draw2 == draw
        assert draw.record()["ids"] == list(sub.ids) and draw.speakers == 6 and draw.per_class == n
    # the old rule (the first N ids of each class) would have taken children only
    first = sorted(i for i in data.ids if i.split("/")[1].split("_")[0] in VOICED)[:6]
    assert {i[0] for i in first} == {"c"}


def test_one_sample_per_class_still_spreads_over_speakers():
    sub, draw = draw_test_samples(split(), 1, seed=0)
    assert len(sub) == 2 and len(set(sub.speakers)) == 2  # each class starts where the last one stopped
    five = split(speakers_per_group=1)  # 3 speakers
    sub, _ = draw_test_samples(five, 2, seed=0)
    assert set(sub.speakers) == set(five.speakers)


def test_fewer_samples_than_speakers_alternate_the_groups():
    sub, _ = draw_test_samples(split(), 3, seed=0)
    voiced = [g for g, t in zip(sub.groups, sub.targets.tolist()) if t == 0]
    assert sorted(voiced) == ["children", "men", "women"]


def test_labels_inside_a_class_are_dealt_in_turn_with_strata_alternating():
    task = get_task("voicing")
    order = label_order(list(VOICED), task.strata["voiced"])
    assert order == ["m", "aa", "v", "iy", "z"]  # consonant, vowel, consonant, vowel, ...
    sub, draw = draw_test_samples(split(), 5, seed=0, task=task)
    voiced = {lab for lab, t in zip(sub.labels, sub.targets.tolist()) if t == 0}
    unvoiced = {lab for lab, t in zip(sub.labels, sub.targets.tolist()) if t == 1}
    assert voiced == set(VOICED) and unvoiced == set(UNVOICED) and draw.labels == 9


def test_seed_changes_only_which_token_and_zero_takes_all():
    data = split()
    a, _ = draw_test_samples(data, 6, seed=0)
    b, _ = draw_test_samples(data, 6, seed=1)
    key = lambda d: sorted((s, lab) for s, lab in zip(d.speakers, d.labels))
    assert key(a) == key(b)  # same speakers and labels
    everything, draw = draw_test_samples(data, 0, seed=0)
    assert everything.ids == data.ids and draw.rule == "all test samples"
    assert len(draw_test_samples(data, 1000, seed=0)[0]) == len(data)  # N above the class size: the whole class


def test_speaker_order_alternates_groups():
    groups = {"c00": "children", "c01": "children", "m00": "men", "w00": "women", "w01": "women"}
    assert speaker_order(list(groups), groups) == ["c00", "m00", "w00", "c01", "w01"]
