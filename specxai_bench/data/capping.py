"""A cap on each class's training segments (``--max-train-per-class``), drawn round-robin over speakers.

A large corpus (LJSpeech has ~100k vowel segments) then trains in bounded time on a CPU, and the
capped set still covers every speaker as evenly as the cap allows: each speaker (each utterance,
in a single-speaker corpus, as the split uses) gives one segment of the class in turn, in a
seeded order, until the cap is reached. Only the training split is capped; validation and test
keep every segment, so accuracy is measured on the same held-out set whatever the cap.
"""

from __future__ import annotations

import numpy as np

from .corpora.base import Segment

Item = tuple[Segment, int]  # (segment, class index), as splits.select_segments returns them


def unit_of(segment: Segment, speakers: int) -> str:
    """The unit the cap takes turns over: the speaker, or the utterance in a single-speaker corpus."""
    return segment.speaker if speakers >= 2 else segment.utterance


def cap_per_class(items: list[Item], per_class: int, seed: int) -> list[Item]:
    """At most ``per_class`` items of each class, drawn round-robin over speakers; ``per_class`` 0 = all.

    Deterministic for a seed; the kept items stay in their input order.
    """
    if per_class <= 0:
        return items
    n_speakers = len({s.speaker for s, _ in items})
    rng = np.random.default_rng([seed, 23])
    by_class: dict[int, dict[str, list[int]]] = {}
    for i, (seg, c) in enumerate(items):
        by_class.setdefault(c, {}).setdefault(unit_of(seg, n_speakers), []).append(i)
    keep: list[int] = []
    for c in sorted(by_class):
        units = by_class[c]
        if sum(len(v) for v in units.values()) <= per_class:
            keep.extend(i for v in units.values() for i in v)
            continue
        # each unit's segments in a random order; units take turns in a random order
        queues = [[units[u][j] for j in rng.permutation(len(units[u]))] for u in sorted(units)]
        turn = [queues[j] for j in rng.permutation(len(queues))]
        chosen: list[int] = []
        depth = 0
        while len(chosen) < per_class:
            chosen.extend(q[depth] for q in turn if depth < len(q))
            depth += 1
        keep.extend(chosen[:per_class])  # the last round is cut in the turn order
    kept = set(keep)
    return [item for i, item in enumerate(items) if i in kept]


def cap_summary(before: list[Item], after: list[Item], per_class: int) -> dict[str, int] | None:
    """What the cap did (None when it kept everything): for the load report and the manifest."""
    if len(after) == len(before):
        return None
    return {"per_class": per_class, "available": len(before), "kept": len(after),
            "speakers": len({s.speaker for s, _ in after})}
