"""ARPAbet label normalisation: every corpus's phone labels onto the 39 CMU phones.

Aligners and corpora disagree on spelling: MFA's ARPAbet models write stress digits (``AA1``),
TIMIT has 61 labels (closures, flaps, reduced vowels, syllabic consonants), silences come as
``h#``, ``sil``, ``sp``, ``spn`` or an empty interval. Tasks only name CMU phones, so every
label is mapped here once and the loader counts what was mapped, ignored or unknown.
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

#: TIMIT labels outside the CMU set with a one-phone CMU equivalent (after Lee & Hon 1989).
TIMIT_MAP: dict[str, str] = {
    "ix": "ih", "ax": "ah", "ax-h": "ah", "axr": "er", "ux": "uw",
    "el": "l", "em": "m", "en": "n", "nx": "n", "eng": "ng", "hv": "hh",
}

#: Labels that are not phones of interest: stop closures, pauses, silences, noise, and the two
#: TIMIT phones with no single CMU equivalent (``q`` glottal stop; ``dx`` flap, which CMU writes
#: as T or D -- guessing either would put voiced flaps into a voicing class at random).
IGNORED: frozenset[str] = frozenset(
    {"bcl", "dcl", "gcl", "pcl", "tcl", "kcl", "pau", "epi", "h#", "sil", "sp", "spn", "", "q", "dx"}
)

# Outcome codes returned with every label (the loader counts them).
KEPT, MAPPED, IGNORED_CODE, UNKNOWN = "kept", "mapped", "ignored", "unknown"

_STRESS = re.compile(r"(?<=[a-z])[0-2]$")


def normalise_label(raw: str) -> tuple[str | None, str]:
    """``(phone, outcome)``: the CMU phone for ``raw`` (or None) and why.

    ``outcome`` is ``kept`` (already a CMU phone), ``mapped`` (a TIMIT label folded onto one),
    ``ignored`` (closure, pause, silence; None) or ``unknown`` (None: not ARPAbet at all, e.g.
    an IPA phone set -- the caller counts and reports it).
    """
    key = _STRESS.sub("", raw.strip().lower())
    if key in ARPABET:
        return key, KEPT
    if key in TIMIT_MAP:
        return TIMIT_MAP[key], MAPPED
    if key in IGNORED:
        return None, IGNORED_CODE
    return None, UNKNOWN


def outcome_key(raw: str, phone: str | None, outcome: str) -> str:
    """The key a label is counted under: the phone if kept, ``raw->phone`` if mapped, else raw."""
    if outcome == KEPT:
        return str(phone)
    if outcome == MAPPED:
        return f"{raw.strip().lower()}->{phone}"
    return raw.strip()


@dataclass(frozen=True)
class LabelCounts:
    """How a run of labels was normalised: raw label -> count, per outcome."""

    kept: dict[str, int] = field(default_factory=dict)
    mapped: dict[str, int] = field(default_factory=dict)  # "ix->ih" -> count
    ignored: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line per non-empty outcome, most frequent labels first."""
        lines = []
        for name in (MAPPED, IGNORED_CODE, UNKNOWN):
            counts = getattr(self, name)
            if counts:
                items = ", ".join(f"{k or '<empty>'} x{v}" for k, v in Counter(counts).most_common(8))
                more = f" (+{len(counts) - 8} more)" if len(counts) > 8 else ""
                lines.append(f"{name} labels: {sum(counts.values())} ({items}{more})")
        return "\n".join(lines)


def count_labels(raws: Iterable[str]) -> LabelCounts:
    """Normalise every label of ``raws`` and count the outcomes (for stats and reports)."""
    tallies: dict[str, Counter] = {KEPT: Counter(), MAPPED: Counter(), IGNORED_CODE: Counter(), UNKNOWN: Counter()}
    for raw in raws:
        phone, outcome = normalise_label(raw)
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
