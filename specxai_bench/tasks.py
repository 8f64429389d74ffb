"""The paper's three tasks (and room for ours): classes, band limit, balanced speaker splits.

Splits are by speaker (never by segment: segments of one speaker on both sides inflate
accuracy); a single-speaker corpus is split by utterance instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .corpora.base import Corpus, Segment
from .corpora.targets import VOICED, VOICELESS, VOWELS
from .errors import DataError, UnknownNameError
from .shortcut import ShortcutSpec

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Task:
    """A classification task over corpus segments.

    ``label_map`` sends a segment label to its class (labels not in it are not used);
    ``fmax`` is the band limit of the spectrogram images (None: Nyquist); ``kind`` says which
    prior applies: ``vowel`` (formants), ``voicing`` (F0 band) or ``shortcut`` (the planted band).
    A task with ``shortcut`` takes its classes from the planted band, not from the label:
    ``label_map`` then only names the labels it draws on (specxai_bench/shortcut.py).
    """

    name: str
    classes: tuple[str, ...]
    label_map: dict[str, str] = field(hash=False)
    fmax: float | None
    kind: str
    description: str = ""
    # per class: share of its examples to draw from each label group, for balanced strata
    strata: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict, hash=False)
    shortcut: ShortcutSpec | None = None  # a class-specific band planted in the audio (the shortcut task)

    def class_index(self, label: str) -> int | None:
        if self.shortcut is not None:
            return None  # the class is dealt per segment (shortcut.select_shortcut), not read from the label
        cls = self.label_map.get(label)
        return None if cls is None else self.classes.index(cls)


_VOICED_CONSONANTS = tuple(lab for lab in VOICED if lab not in VOWELS)

TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task("vowel5", VOWELS, {v: v for v in VOWELS}, None, "vowel",
             "five vowels /i ae ah aa u/, full band (0 - Nyquist)"),
        Task("vowel5-4k", VOWELS, {v: v for v in VOWELS}, 4000.0, "vowel",
             "five vowels /i ae ah aa u/, below 4 kHz"),
        Task("voicing", ("voiced", "unvoiced"),
             {**{lab: "voiced" for lab in VOICED}, **{lab: "unvoiced" for lab in VOICELESS}}, 4000.0, "voicing",
             "voiced (vowels, voiced fricatives, nasals) vs unvoiced (fricatives, stops), below 4 kHz",
             strata={"voiced": (_VOICED_CONSONANTS, VOWELS)}),
    )
}


# The study's open checks (`specxai-bench study`): vowel5 band-limited at 2, 3 and 5 kHz, beside the
# paper's 4 kHz (vowel5-4k) and full band (vowel5). Kept out of TASKS so the default run stays the
# paper's three tasks; every name lookup (get_task, resolve_tasks) knows them.
CUTOFF_KHZ = (2, 3, 4, 5, None)  # None: full band (Nyquist)
STUDY_TASKS: dict[str, Task] = {
    t.name: t
    for t in (Task(f"vowel5-{k}k", VOWELS, {v: v for v in VOWELS}, k * 1000.0, "vowel",
                   f"five vowels /i ae ah aa u/, below {k} kHz (cut-off ablation)") for k in (2, 3, 5))
}

# The controlled shortcut task (issue #5): five classes, each marked only by its own narrow band
# planted above 4 kHz in the audio of vowel segments dealt to the classes independently of the vowel.
# Full band (the bands lie between 4.6 and 7 kHz; Nyquist is 11,025 Hz for the synthetic corpus).
SHORTCUT_BANDS_HZ = (4600.0, 5200.0, 5800.0, 6400.0, 7000.0)
SHORTCUT_TASKS: dict[str, Task] = {
    "shortcut": Task("shortcut", tuple(f"band{hz / 1000:g}k" for hz in SHORTCUT_BANDS_HZ), {v: v for v in VOWELS},
                     None, "shortcut",
                     "five classes, each marked only by a 100 Hz band of noise planted at 4.6/5.2/5.8/6.4/7.0 kHz "
                     "(-20 dB re the segment) in vowels dealt to the classes independently of the vowel; full band",
                     shortcut=ShortcutSpec(SHORTCUT_BANDS_HZ, width_hz=100.0, level_db=-20.0)),
}
ALL_TASKS: dict[str, Task] = {**TASKS, **STUDY_TASKS, **SHORTCUT_TASKS}


def cutoff_task(khz: int | None) -> Task:
    """The vowel5 variant band-limited at ``khz`` kHz (None: full band)."""
    return get_task("vowel5" if khz is None else f"vowel5-{khz}k")


def get_task(name: str) -> Task:
    try:
        return ALL_TASKS[name]
    except KeyError:
        raise UnknownNameError(f"unknown task {name!r}. Known tasks: {', '.join(ALL_TASKS)}") from None


def resolve_tasks(spec: str) -> list[Task]:
    """Comma-separated names (the paper's, the study's and the shortcut task); ``all`` = the paper's three."""
    names = list(TASKS) if spec == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    bad = [n for n in names if n not in ALL_TASKS]
    if bad:
        raise UnknownNameError(f"unknown task(s) {', '.join(map(repr, bad))}. Known tasks: {', '.join(ALL_TASKS)}")
    return [ALL_TASKS[n] for n in names]


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
        from .shortcut import select_shortcut
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
