"""Which segments a task uses, and in which split: balanced per class, split by speaker.

Splits are by speaker (never by segment: segments of one speaker on both sides inflate
accuracy); a single-speaker corpus is split by utterance instead. This is the only place that
decides splits; the shortcut task deals its segments to classes here too (``select_shortcut``).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from .corpora.base import Corpus, Segment
from .tasks import Task

SPLITS = ("train", "val", "test")


def split_speakers(corpus: Corpus, seed: int, val_share: float = 1 / 6, test_share: float = 1 / 6
                   ) -> dict[str, str]:
    """Speaker (or utterance, for a single-speaker corpus) -> split, stratified by speaker group."""
    speakers = sorted({s.speaker for s in corpus.segments})
    unit = (lambda s: s.speaker) if len(speakers) >= 3 else (lambda s: s.utterance)
    groups: dict[str, list[str]] = {}
    for s in corpus.segments:
        key = unit(s)
        members = groups.setdefault(s.group, [])
        if key not in members:
            members.append(key)
    rng = np.random.default_rng([seed, 7])
    out: dict[str, str] = {}
    for group in sorted(groups):
        units = sorted(groups[group])
        rng.shuffle(units)
        n_val = max(1, round(len(units) * val_share))
        n_test = max(1, round(len(units) * test_share))
        if len(units) < 3:
            raise DataError(f"speaker group {group!r} has {len(units)} speakers/utterances; "
                            "a train/val/test split by speaker needs at least 3")
        for i, u in enumerate(units):
            out[u] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return out


def unit_of(segment: Segment, corpus_speakers: int) -> str:
    return segment.speaker if corpus_speakers >= 3 else segment.utterance


def select_segments(task: Task, corpus: Corpus, seed: int) -> dict[str, list[tuple[Segment, int]]]:
    """Split -> [(segment, class index)], balanced per speaker and class, deterministic for a seed.

    Each class gets the same count per speaker (the smallest class's); a class with ``strata``
    draws that count evenly from its label groups (voiced = half voiced consonants, half vowels).
    A shortcut task deals its labels' segments to the classes instead (shortcut.select_shortcut).
    """
    if task.shortcut is not None:
        return select_shortcut(task, corpus, seed)
    assignment = split_speakers(corpus, seed)
    n_speakers = len({s.speaker for s in corpus.segments})
    by_unit: dict[str, dict[int, list[Segment]]] = {}
    for s in corpus.segments:
        c = task.class_index(s.label)
        if c is not None:
            by_unit.setdefault(unit_of(s, n_speakers), {}).setdefault(c, []).append(s)
    present = {c for per in by_unit.values() for c in per}
    missing = [task.classes[c] for c in range(len(task.classes)) if c not in present]
    if missing:
        raise DataError(f"task {task.name}: corpus {corpus.name!r} has no segment of class(es) "
                        f"{', '.join(missing)}; labels present: {', '.join(corpus.labels())}")
    rng = np.random.default_rng([seed, 11])
    out: dict[str, list[tuple[Segment, int]]] = {k: [] for k in SPLITS}
    for unit in sorted(by_unit):
        per = by_unit[unit]
        if len(per) < len(task.classes) and n_speakers >= 3:
            continue  # a speaker without every class would unbalance the split
        n = min(len(v) for v in per.values())
        for c in sorted(per):
            out[assignment[unit]].extend((s, c) for s in _draw(per[c], n, task.strata.get(task.classes[c]), rng))
    return out


def _draw(pool: list[Segment], n: int, strata: tuple[tuple[str, ...], ...] | None,
          rng: np.random.Generator) -> list[Segment]:
    pool = sorted(pool, key=lambda s: s.id)
    if not strata:
        idx = rng.permutation(len(pool))[:n]
        return [pool[i] for i in sorted(idx)]
    chosen: list[Segment] = []
    for k, labels in enumerate(strata):
        want = n // len(strata) + (1 if k < n % len(strata) else 0)
        sub = [s for s in pool if s.label in labels]
        idx = rng.permutation(len(sub))[:want]
        chosen.extend(sub[i] for i in sorted(idx))
    taken = {s.id for s in chosen}
    rest = [s for s in pool if s.id not in taken]
    idx = rng.permutation(len(rest))[: n - len(chosen)]
    chosen.extend(rest[i] for i in sorted(idx))
    return chosen


def select_shortcut(task: Task, corpus: Corpus, seed: int) -> dict[str, list[tuple[Segment, int]]]:
    """Split -> [(segment, class)]: the task's labels (vowels) dealt to classes independently of the label.

    Per speaker (utterance, for a single-speaker corpus): the labels in a random order, each label's
    tokens in a random order, concatenated; position i gets class perm[i mod K] (perm drawn per
    speaker). So every class gets the same count per speaker, and a label's consecutive tokens go
    to different classes: the label carries no information about the class. A speaker's last
    ``count mod K`` segments are dropped to keep the classes balanced.
    """
    spec = task.shortcut
    assert spec is not None
    k = len(task.classes)
    assignment = split_speakers(corpus, seed)
    n_speakers = len({s.speaker for s in corpus.segments})
    labels = sorted(task.label_map)
    by_unit: dict[str, dict[str, list[Segment]]] = {}
    for s in corpus.segments:
        if s.label in task.label_map:
            by_unit.setdefault(unit_of(s, n_speakers), {}).setdefault(s.label, []).append(s)
    if not by_unit:
        raise DataError(f"task {task.name}: corpus {corpus.name!r} has no segment labelled "
                        f"{', '.join(labels)}; labels present: {', '.join(corpus.labels())}")
    for rate in {s.sample_rate for per in by_unit.values() for segs in per.values() for s in segs}:
        spec.check_sample_rate(rate)
    rng = np.random.default_rng([seed, 19])
    out: dict[str, list[tuple[Segment, int]]] = {split: [] for split in SPLITS}
    for unit in sorted(by_unit):
        per = by_unit[unit]
        order: list[Segment] = []
        for i in rng.permutation(len(labels)):
            pool = sorted(per.get(labels[i], []), key=lambda s: s.id)
            order.extend(pool[j] for j in rng.permutation(len(pool)))
        perm = rng.permutation(k)
        keep = len(order) - len(order) % k
        out[assignment[unit]].extend((s, int(perm[i % k])) for i, s in enumerate(order[:keep]))
    for split in SPLITS:
        out[split].sort(key=lambda item: item[0].id)
    empty = [split for split in SPLITS if not out[split]]
    if empty:
        raise DataError(f"task {task.name}: no segment in split(s) {', '.join(empty)} (each speaker needs at "
                        f"least {k} segments labelled {', '.join(labels)})")
    return out
