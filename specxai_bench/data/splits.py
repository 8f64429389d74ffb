"""Which segments a task uses, and in which split: balanced per class, split by speaker.

Splits are by speaker (never by segment: segments of one speaker on both sides inflate
accuracy). A single-speaker corpus (LJSpeech) is split by utterance; a corpus of two speakers
is refused rather than silently split by utterance (``--split-by utterance`` asks for it, with
the leakage it brings). A real corpus of fewer than :data:`FEW_SPEAKERS` speakers is evaluated
by speaker k-fold cross-validation (every speaker in one test fold, one model per fold), so its
boards have every speaker behind them; ``--folds`` sets k. This is the only place that decides
splits; the shortcut task deals its segments to classes here too (``select_shortcut``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, DataError
from .corpora.base import Corpus, Segment
from .tasks import Task

SPLITS = ("train", "val", "test")
SPLIT_BY = ("speaker", "utterance")
FEW_SPEAKERS = 10  # a real corpus with fewer speakers (and at least 3) is cross-validated by default
DEFAULT_FOLDS = 4


@dataclass(frozen=True)
class SplitPlan:
    """How a corpus is split: the unit (speaker or utterance) and, per fold, unit -> split.

    ``folds`` is 1 for one train/validation/test split; k >= 3 for speaker k-fold
    cross-validation, where fold i tests on its speakers, selects the checkpoint on fold i+1's
    and trains on the rest. ``reason`` says why this scheme was chosen.
    """

    unit: str
    assignments: tuple[dict[str, str], ...]
    reason: str
    seed: int = 0
    key: str | None = None  # enters the models' configs when the scheme is not the default single split

    @property
    def folds(self) -> int:
        return len(self.assignments)

    def split_id(self, fold: int) -> str | None:
        """What enters a model's config besides corpus and seed (None: the default single split)."""
        return f"speaker-fold {fold + 1}/{self.folds}" if self.folds > 1 else self.key

    def describe(self) -> str:
        """Where every speaker (utterance) went, for the run's log."""
        lines = [f"split: {self.reason}, seed {self.seed}"]
        for i, assignment in enumerate(self.assignments):
            members = {split: sorted(u for u, s in assignment.items() if s == split) for split in SPLITS}
            if self.unit == "utterance":
                lines.append("  " + ", ".join(f"{split} {len(members[split])} utterances" for split in SPLITS))
            elif self.folds == 1:
                lines += [f"  {split} ({len(members[split])}): {', '.join(members[split])}" for split in SPLITS]
            else:
                lines.append(f"  fold {i + 1}/{self.folds}: test ({len(members['test'])}) "
                             f"{', '.join(members['test'])}; validation {', '.join(members['val'])}; "
                             f"training the other {len(members['train'])}")
        return "\n".join(lines)

    def where(self) -> dict[str, str]:
        """Unit -> its split (one split) or its test fold ("fold 2/4"), for the manifest."""
        if self.folds == 1:
            return dict(sorted(self.assignments[0].items()))
        return {u: f"fold {i + 1}/{self.folds}" for i, a in enumerate(self.assignments)
                for u, s in sorted(a.items()) if s == "test"}


def plan_splits(corpus: Corpus, seed: int, *, folds: int = 1, split_by: str = "speaker",
                synthetic: bool = False, everything: str | None = None) -> SplitPlan:
    """The split scheme of ``corpus``: ``folds`` 0 = auto (k-fold for a real corpus of 3 to 9
    speakers), 1 = one split, k >= 3 = speaker k-fold. ``everything`` puts every speaker into that
    split (a finished model is only evaluated). Refuses, naming the option that overrides it, to
    split a corpus of two speakers by utterance."""
    if split_by not in SPLIT_BY:
        raise ConfigError(f"--split-by must be one of {', '.join(SPLIT_BY)}, got {split_by!r}")
    if folds < 0 or folds == 2:
        raise ConfigError(f"--folds must be 0 (auto), 1 (one train/validation/test split) or at least 3 (a test, "
                          f"a validation and a training fold), got {folds}")
    speakers = sorted({s.speaker for s in corpus.segments})
    if everything is not None:
        return SplitPlan("speaker", ({u: everything for u in speakers},),
                         f"every speaker in {everything} (a finished model is evaluated, not trained)", seed,
                         f"all-{everything}")
    if split_by == "utterance" or len(speakers) == 1:
        if folds > 1:
            raise ConfigError(f"--folds {folds} cross-validates by speaker; corpus {corpus.name!r} is split by "
                              "utterance (" + ("one speaker" if len(speakers) == 1 else "--split-by utterance") + ")")
        why = ("by utterance (one speaker)" if len(speakers) == 1 else
               f"by utterance (--split-by utterance: the {len(speakers)} speakers' voices are on both sides, so "
               "accuracy is inflated by speaker leakage)")
        return SplitPlan("utterance", (_single_split(corpus, lambda s: s.utterance, seed),), why, seed,
                         None if len(speakers) == 1 else "utterance")
    if len(speakers) < 3:
        raise DataError(f"corpus {corpus.name!r} has {len(speakers)} speakers ({', '.join(speakers)}): a split by "
                        "speaker needs at least 3 (train, validation, test). Add speakers, or pass --split-by "
                        "utterance to split by utterance instead (the same voices in training and test: accuracy "
                        "is then inflated by speaker leakage)")
    k = folds
    if folds == 0:
        k = min(DEFAULT_FOLDS, len(speakers)) if len(speakers) < FEW_SPEAKERS and not synthetic else 1
    if k == 1:
        why = "by speaker, stratified by speaker group" + (" (--folds 1)" if folds == 1 and len(speakers) <
                                                            FEW_SPEAKERS and not synthetic else "")
        return SplitPlan("speaker", (_single_split(corpus, lambda s: s.speaker, seed),), why, seed)
    if k > len(speakers):
        raise ConfigError(f"--folds {k} needs at least {k} speakers; corpus {corpus.name!r} has {len(speakers)}")
    why = (f"{k}-fold speaker cross-validation"
           + (f" (fewer than {FEW_SPEAKERS} speakers: {len(speakers)}; --folds sets k, --folds 1 asks for one split)"
              if folds == 0 else f" (--folds {k})"))
    return SplitPlan("speaker", _speaker_folds(corpus, seed, k), why, seed)


def _units_by_group(corpus: Corpus, unit) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for s in corpus.segments:
        key = unit(s)
        members = groups.setdefault(s.group, [])
        if key not in members:
            members.append(key)
    return groups


def _single_split(corpus: Corpus, unit, seed: int, val_share: float = 1 / 6,
                  test_share: float = 1 / 6) -> dict[str, str]:
    """Unit -> split, stratified by speaker group."""
    rng = np.random.default_rng([seed, 7])
    out: dict[str, str] = {}
    for group, members in sorted(_units_by_group(corpus, unit).items()):
        units = sorted(members)
        rng.shuffle(units)
        n_val = max(1, round(len(units) * val_share))
        n_test = max(1, round(len(units) * test_share))
        if len(units) < 3:
            raise DataError(f"speaker group {group!r} has {len(units)} speakers/utterances; "
                            "a train/val/test split by speaker needs at least 3 per group (--folds 3 or more "
                            "cross-validates instead)")
        for i, u in enumerate(units):
            out[u] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return out


def _speaker_folds(corpus: Corpus, seed: int, k: int) -> tuple[dict[str, str], ...]:
    """k folds of speakers, each group's speakers dealt in turn (so each fold mixes the groups); fold i
    is test, fold i+1 validation, the others training."""
    rng = np.random.default_rng([seed, 23])
    fold_of: dict[str, int] = {}
    dealt = 0
    for _, members in sorted(_units_by_group(corpus, lambda s: s.speaker).items()):
        units = sorted(members)
        rng.shuffle(units)
        for u in units:
            fold_of[u] = dealt % k
            dealt += 1
    return tuple({u: "test" if f == i else "val" if f == (i + 1) % k else "train" for u, f in sorted(fold_of.items())}
                 for i in range(k))


def split_speakers(corpus: Corpus, seed: int) -> dict[str, str]:
    """Speaker (or utterance, for a single-speaker corpus) -> split: the default single split."""
    return plan_splits(corpus, seed).assignments[0]


def select_segments(task: Task, corpus: Corpus, seed: int, plan: SplitPlan | None = None, fold: int = 0
                    ) -> dict[str, list[tuple[Segment, int]]]:
    """Split -> [(segment, class index)] of ``fold`` of ``plan`` (default: one split), balanced per speaker
    and class, deterministic for a seed.

    Each class gets the same count per speaker (the smallest class's); a class with ``strata``
    draws that count evenly from its label groups (voiced = half voiced consonants, half vowels).
    A shortcut task deals its labels' segments to the classes instead (shortcut.select_shortcut).
    """
    plan = plan or plan_splits(corpus, seed)
    if task.shortcut is not None:
        return select_shortcut(task, corpus, seed, plan, fold)
    assignment = plan.assignments[fold]
    by_speaker = plan.unit == "speaker"
    by_unit: dict[str, dict[int, list[Segment]]] = {}
    for s in corpus.segments:
        c = task.class_index(s.label)
        if c is not None:
            by_unit.setdefault(s.speaker if by_speaker else s.utterance, {}).setdefault(c, []).append(s)
    present = {c for per in by_unit.values() for c in per}
    missing = [task.classes[c] for c in range(len(task.classes)) if c not in present]
    if missing:
        raise DataError(f"task {task.name}: corpus {corpus.name!r} has no segment of class(es) "
                        f"{', '.join(missing)}; labels present: {', '.join(corpus.labels())}")
    rng = np.random.default_rng([seed, 11])
    out: dict[str, list[tuple[Segment, int]]] = {k: [] for k in SPLITS}
    for unit in sorted(by_unit):
        per = by_unit[unit]
        if len(per) < len(task.classes) and by_speaker:
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


def select_shortcut(task: Task, corpus: Corpus, seed: int, plan: SplitPlan | None = None, fold: int = 0
                    ) -> dict[str, list[tuple[Segment, int]]]:
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
    plan = plan or plan_splits(corpus, seed)
    assignment = plan.assignments[fold]
    labels = sorted(task.label_map)
    by_unit: dict[str, dict[str, list[Segment]]] = {}
    for s in corpus.segments:
        if s.label in task.label_map:
            by_unit.setdefault(s.speaker if plan.unit == "speaker" else s.utterance, {}).setdefault(s.label, []
                                                                                                   ).append(s)
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
    empty = [split for split in SPLITS if not out[split] and any(v == split for v in assignment.values())]
    if empty:
        raise DataError(f"task {task.name}: no segment in split(s) {', '.join(empty)} (each speaker needs at "
                        f"least {k} segments labelled {', '.join(labels)})")
    return out
