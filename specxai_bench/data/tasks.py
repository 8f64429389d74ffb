"""The paper's three tasks (and ours): classes, band limit and the prior each one tests.

How a task's segments are drawn and split (by speaker) is in :mod:`.splits`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UnknownNameError
from .corpora.targets import VOICED, VOICELESS, VOWELS
from .shortcut import ShortcutSpec


@dataclass(frozen=True)
class Task:
    """A classification task over corpus segments.

    ``label_map`` sends a segment label to its class (labels not in it are not used);
    ``fmax`` is the band limit of the spectrogram images (None: Nyquist); ``kind`` says which
    prior applies: ``vowel`` (formants), ``voicing`` (F0 band), ``shortcut`` (the planted band) or
    ``tf-shortcut`` (the planted burst's time x frequency box).
    A task with ``shortcut`` takes its classes from the planted band, not from the label:
    ``label_map`` then only names the labels it draws on (:mod:`.shortcut`, :mod:`.splits`).
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

# The controlled shortcut tasks. `shortcut` (issue #5): five classes, each marked only by its own narrow band
# planted above 4 kHz in the audio of vowel segments dealt to the classes independently of the vowel.
# Full band (the bands lie between 4.6 and 7 kHz; Nyquist is 11,025 Hz for the synthetic corpus).
# `tf-shortcut` (issue #19): each class's cue is a 40 ms burst of 300 Hz wide noise in its own band above
# 4 kHz at a random time inside the vowel, plus a decoy burst of the same length and level in a band no
# class uses (9 kHz) at another random time. Ground truth per sample: the cue's time x frequency box.
SHORTCUT_BANDS_HZ = (4600.0, 5200.0, 5800.0, 6400.0, 7000.0)
TF_SHORTCUT_BANDS_HZ = (4600.0, 5400.0, 6200.0, 7000.0, 7800.0)
TF_SHORTCUT_DECOY_HZ = 9000.0
SHORTCUT_TASKS: dict[str, Task] = {
    "shortcut": Task("shortcut", tuple(f"band{hz / 1000:g}k" for hz in SHORTCUT_BANDS_HZ), {v: v for v in VOWELS},
                     None, "shortcut",
                     "five classes, each marked only by a 100 Hz band of noise planted at 4.6/5.2/5.8/6.4/7.0 kHz "
                     "(-20 dB re the segment) in vowels dealt to the classes independently of the vowel; full band",
                     shortcut=ShortcutSpec(SHORTCUT_BANDS_HZ, width_hz=100.0, level_db=-20.0)),
    "tf-shortcut": Task("tf-shortcut", tuple(f"burst{hz / 1000:g}k" for hz in TF_SHORTCUT_BANDS_HZ),
                        {v: v for v in VOWELS}, None, "tf-shortcut",
                        "five classes, each marked only by a 40 ms burst of 300 Hz wide noise at 4.6/5.4/6.2/7.0/7.8 "
                        "kHz (-20 dB re the segment) at a random time in vowels dealt to the classes independently "
                        "of the vowel, plus a decoy burst at 9 kHz at another random time; full band",
                        shortcut=ShortcutSpec(TF_SHORTCUT_BANDS_HZ, width_hz=300.0, level_db=-20.0, burst_ms=40.0,
                                              decoy_hz=TF_SHORTCUT_DECOY_HZ)),
}
ALL_TASKS: dict[str, Task] = {**TASKS, **STUDY_TASKS, **SHORTCUT_TASKS}
# the priors a metric may need, one per kind of task (a literal, so `list` reads it without importing;
# tests/data/test_tasks.py checks it against the tasks)
TASK_KINDS: tuple[str, ...] = ("vowel", "voicing", "shortcut", "tf-shortcut")


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
