"""Which test samples a run attributes when ``--max-samples N`` caps it: a round-robin draw.

The first N sample ids of a class are not a sample of the test split: ids sort by speaker, so they
come from one or two speakers (children first in the synthetic corpus) and one label. Here each
class's N samples are dealt round-robin over the test speakers, the speakers ordered so that the
speaker groups alternate (men, women, children, men, ...), each class starting at the speaker after
the one where the previous class stopped (so N = 1 still spreads over speakers), and at each
speaker the next label of the class in turn (labels of a class's strata alternate: a voiced
consonant, then a vowel, ...).
So every test speaker appears as soon as N reaches the number of speakers, every label as soon
as N allows, and a cell's bootstrap over speakers has as many clusters as the split can give.
Within a speaker and label the tokens come in a seeded order. The draw is deterministic for a
seed and is recorded in the run manifest (rule, N, seed, the ids drawn).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .datasets import TaskData
from .tasks import Task

RULE = ("round-robin per class over the test speakers (speaker groups alternating; each class starts after the "
        "speaker where the previous one stopped), taking at each "
        "speaker the class's next label in turn (label strata alternating); tokens of a speaker and "
        "label in a seeded order")


@dataclass(frozen=True)
class Draw:
    """The test samples a run attributes, and how they were chosen (recorded in the manifest)."""

    rule: str
    per_class: int  # N; 0 = the whole test split
    seed: int
    ids: tuple[str, ...]
    speakers: int
    labels: int

    def record(self) -> dict[str, Any]:
        return {"rule": self.rule, "per_class": self.per_class, "seed": self.seed, "n": len(self.ids),
                "speakers": self.speakers, "labels": self.labels, "ids": list(self.ids)}


def draw_test_samples(data: TaskData, per_class: int, seed: int, task: Task | None = None
                      ) -> tuple[TaskData, Draw]:
    """The samples to attribute: all of ``data`` (``per_class`` 0), or ``per_class`` per class drawn
    round-robin (module docstring). The subset keeps the split's order."""
    if per_class < 0:
        raise ValueError(f"per_class must be >= 0, got {per_class}")
    if per_class == 0 or len(data) == 0:
        keep = list(range(len(data)))
        rule = "all test samples"
    else:
        rng = np.random.default_rng([seed, 29])
        everyone = speaker_order(list(data.speakers), dict(zip(data.speakers, data.groups)))
        keep = []
        for c in sorted(set(data.targets.tolist())):
            members = [i for i in range(len(data)) if int(data.targets[i]) == c]
            strata = task.strata.get(task.classes[c]) if task is not None and c < len(task.classes) else None
            start = len(keep) % len(everyone)  # each class starts where the last stopped: N = 1 still spreads
            keep += _round_robin(data, members, per_class, strata, rng, everyone[start:] + everyone[:start])
        keep.sort()
        rule = RULE
    sub = data.subset(keep)
    return sub, Draw(rule, per_class, seed, sub.ids, len(set(sub.speakers)), len(set(sub.labels)))


def speaker_order(speakers: list[str], groups: dict[str, str]) -> list[str]:
    """Speakers sorted within their group, then dealt group by group: g1[0], g2[0], g3[0], g1[1], ..."""
    by_group: dict[str, list[str]] = {}
    for s in sorted(set(speakers)):
        by_group.setdefault(groups[s], []).append(s)
    lists = [by_group[g] for g in sorted(by_group)]
    return [lst[i] for i in range(max(map(len, lists), default=0)) for lst in lists if i < len(lst)]


def label_order(labels: list[str], strata: tuple[tuple[str, ...], ...] | None) -> list[str]:
    """The class's labels, sorted; with strata, dealt stratum by stratum (labels in no stratum last)."""
    present = sorted(set(labels))
    if not strata:
        return present
    lists = [[lab for lab in present if lab in stratum] for stratum in strata]
    rest = [lab for lab in present if not any(lab in stratum for stratum in strata)]
    lists = [lst for lst in lists + [rest] if lst]
    return [lst[i] for i in range(max(map(len, lists), default=0)) for lst in lists if i < len(lst)]


def _round_robin(data: TaskData, members: list[int], n: int, strata: tuple[tuple[str, ...], ...] | None,
                 rng: np.random.Generator, speakers: list[str]) -> list[int]:
    """``n`` of the indices ``members`` (one class): ``speakers`` in turn, each giving the next label in turn."""
    pools: dict[str, dict[str, list[int]]] = {}
    for i in sorted(members, key=lambda i: data.ids[i]):
        pools.setdefault(data.speakers[i], {}).setdefault(data.labels[i], []).append(i)
    for per in pools.values():
        for lab, idx in per.items():
            per[lab] = [idx[j] for j in rng.permutation(len(idx))]
    order = [spk for spk in speakers if spk in pools]
    labels = label_order([data.labels[i] for i in members], strata)
    taken: list[int] = []
    cursor = 0
    while len(taken) < min(n, len(members)):
        for spk in order:
            if len(taken) == n:
                break
            have = pools[spk]
            for k in range(len(labels)):
                lab = labels[(cursor + k) % len(labels)]
                if have.get(lab):
                    taken.append(have[lab].pop(0))
                    cursor = (labels.index(lab) + 1) % len(labels)
                    break
    return taken
