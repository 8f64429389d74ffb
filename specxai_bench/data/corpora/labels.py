"""ARPAbet label normalisation: every corpus's phone labels onto the 39 CMU phones, reduced vowels apart.

Aligners and corpora disagree on spelling: MFA's ARPAbet models write stress digits (``AA1``),
TIMIT has 61 labels (closures, flaps, reduced vowels, syllabic consonants), silences come as
``h#``, ``sil``, ``sp``, ``spn`` or an empty interval. Tasks only name CMU phones, so every
label is mapped here once and the loader counts what was mapped, kept apart, ignored or unknown.

Reduced vowels are not the full vowels a recogniser folds them onto: schwa is not /ʌ/. TIMIT's
39-phone folding (Lee & Hon 1989) puts ``ax`` into ``ah`` and ``ix`` into ``ih``, and the CMU
dictionary writes schwa as unstressed ``AH0``; with either, a large share of a vowel-quality
task's ``ah`` class would be schwa. So by default the reduced vowels (``ax``, ``ax-h``, ``ix``,
``axr``, ``AH0`` and schwa symbols) keep labels of their own, which no task uses; the folding
``timit`` (``--label-folding timit``) is the named opt-in for the recognition convention.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches

from ...errors import ConfigError

#: The 39 phones of the CMU Pronouncing Dictionary (lower case, no stress).
ARPABET: frozenset[str] = frozenset(
    "aa ae ah ao aw ay b ch d dh eh er ey f g hh ih iy jh k l m n ng ow oy p r s sh t th uh uw v w y z zh".split()
)

#: TIMIT labels outside the CMU set with a one-phone CMU equivalent that is the same phoneme
#: (an allophone or a syllabic consonant), after Lee & Hon 1989: folded under every folding.
TIMIT_MAP: dict[str, str] = {
    "ux": "uw", "el": "l", "em": "m", "en": "n", "nx": "n", "eng": "ng", "hv": "hh",
}

#: Reduced vowels -> the full vowel TIMIT's 39-phone folding puts them into (only with ``timit``).
REDUCED: dict[str, str] = {"ax": "ah", "ax-h": "ah", "ix": "ih", "axr": "er"}

#: Other spellings of schwa (the CMU dictionary's unstressed AH, a name, SAMPA, IPA) -> ``ax``.
SCHWA: frozenset[str] = frozenset({"ah0", "schwa", "@", "ə"})

#: Named label foldings: ``none`` keeps reduced vowels apart (default), ``timit`` folds them.
FOLDINGS = ("none", "timit")

#: Labels that are not phones of interest: stop closures, pauses, silences, noise, and the two
#: TIMIT phones with no single CMU equivalent (``q`` glottal stop; ``dx`` flap, which CMU writes
#: as T or D -- guessing either would put voiced flaps into a voicing class at random).
IGNORED: frozenset[str] = frozenset(
    {"bcl", "dcl", "gcl", "pcl", "tcl", "kcl", "pau", "epi", "h#", "sil", "sp", "spn", "", "q", "dx"}
)

# Outcome codes returned with every label (the loader counts them).
KEPT, MAPPED, REDUCED_CODE, IGNORED_CODE, UNKNOWN = "kept", "mapped", "reduced", "ignored", "unknown"
OUTCOMES = (KEPT, MAPPED, REDUCED_CODE, IGNORED_CODE, UNKNOWN)

_STRESS = re.compile(r"(?<=[a-z])[0-2]$")


def check_folding(folding: str) -> str:
    if folding not in FOLDINGS:
        raise ConfigError(f"unknown label folding {folding!r}; use one of {', '.join(FOLDINGS)} (none keeps "
                          "reduced vowels apart; timit folds them into full vowels, TIMIT's 39-phone convention)")
    return folding


def normalise_label(raw: str, folding: str = "none") -> tuple[str | None, str]:
    """``(phone, outcome)``: the label to use for ``raw`` (or None) and why.

    ``outcome`` is ``kept`` (already a CMU phone), ``mapped`` (a TIMIT label folded onto one),
    ``reduced`` (a reduced vowel kept apart as ``ax``, ``ax-h``, ``ix`` or ``axr``: no task uses
    it; with ``folding="timit"`` it is ``mapped`` onto the full vowel instead), ``ignored``
    (closure, pause, silence; None) or ``unknown`` (None: not ARPAbet at all, e.g. an IPA phone
    set -- the caller counts and reports it).
    """
    check_folding(folding)
    low = raw.strip().lower()
    if low in SCHWA:
        return ("ah", MAPPED) if folding == "timit" else ("ax", REDUCED_CODE)
    key = _STRESS.sub("", low)
    if key in ARPABET:
        return key, KEPT
    if key in TIMIT_MAP:
        return TIMIT_MAP[key], MAPPED
    if key in REDUCED:
        return (REDUCED[key], MAPPED) if folding == "timit" else (key, REDUCED_CODE)
    if key in IGNORED:
        return None, IGNORED_CODE
    return None, UNKNOWN


def outcome_key(raw: str, phone: str | None, outcome: str) -> str:
    """The key a label is counted under: the phone if kept, ``raw->phone`` if mapped or kept apart
    under another spelling (``ah0->ax``), else raw."""
    low = raw.strip().lower()
    if outcome == KEPT:
        return str(phone)
    if outcome in (MAPPED, REDUCED_CODE):
        return str(phone) if low == phone else f"{low}->{phone}"
    return raw.strip()


@dataclass(frozen=True)
class LabelCounts:
    """How a run of labels was normalised: raw label -> count, per outcome."""

    kept: dict[str, int] = field(default_factory=dict)
    mapped: dict[str, int] = field(default_factory=dict)  # "ux->uw" -> count (every mapping applied)
    reduced: dict[str, int] = field(default_factory=dict)  # "ah0->ax" -> count: kept apart, not folded
    ignored: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line per non-empty outcome: every mapping applied (all of them), the others most frequent first."""
        lines = []
        for name in (MAPPED, REDUCED_CODE, IGNORED_CODE, UNKNOWN):
            counts = getattr(self, name)
            if counts:
                show = len(counts) if name in (MAPPED, REDUCED_CODE) else 8
                items = ", ".join(f"{k or '<empty>'} x{v}" for k, v in Counter(counts).most_common(show))
                more = f" (+{len(counts) - show} more)" if len(counts) > show else ""
                title = ("reduced vowels kept apart, not folded into full vowels (--label-folding timit folds them)"
                         if name == REDUCED_CODE else f"{name} labels")
                lines.append(f"{title}: {sum(counts.values())} ({items}{more})")
        return "\n".join(lines)


def count_labels(raws: Iterable[str], folding: str = "none") -> LabelCounts:
    """Normalise every label of ``raws`` and count the outcomes (for stats and reports)."""
    tallies: dict[str, Counter] = {k: Counter() for k in OUTCOMES}
    for raw in raws:
        phone, outcome = normalise_label(raw, folding)
        tallies[outcome][outcome_key(raw, phone, outcome)] += 1
    return LabelCounts(**{k: dict(v) for k, v in tallies.items()})


def check_label_set(labels: Iterable[str] | None) -> frozenset[str] | None:
    """Validate a user's label selection (e.g. a task's classes); None keeps every phone.

    Raises ConfigError naming the labels that are not CMU phones, so a typo fails at once.
    """
    if labels is None:
        return None
    if isinstance(labels, str):
        raise ConfigError(f"labels must be a collection of phones, not the string {labels!r}: pass e.g. ['iy', 'aa']")
    chosen = frozenset(labels)
    bad = sorted(chosen - ARPABET)
    if bad:
        hints = "; ".join(
            f"{b!r}" + (f" (did you mean {m[0]!r}?)" if (m := get_close_matches(str(b).lower(), ARPABET, 1)) else "")
            for b in bad
        )
        raise ConfigError(f"labels {hints} are not CMU ARPAbet phones (lower case, no stress digit): "
                          f"choose from {' '.join(sorted(ARPABET))}")
    if not chosen:
        raise ConfigError("labels is empty: pass None to keep every phone, or name at least one phone")
    return chosen
