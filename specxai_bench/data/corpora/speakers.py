"""Who spoke each file of an aligned corpus, and in which group: folders, ``speakers.csv``, TIMIT names.

``--speaker-from`` says where the speaker is read: ``parent`` (the wav's folder: TIMIT's
``DR1/FCJF0/SA1.wav``, a flat ``speaker/utt.wav``), ``grandparent`` (LibriTTS-style
``speaker/chapter/utt.wav``), a depth ``N`` (the N-th folder below the corpus root), or ``csv``
(``speakers.csv`` maps each file to its speaker). ``speakers.csv`` gives groups: a ``speaker``
column and one of ``group``, ``gender`` or ``sex`` with the usual values (``men``/``women``/
``children``, ``M``/``F``, ``male``/``female``, ...); entries that match no speaker are named in the
load report, since they usually mean the speaker is read from the wrong folder.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ...errors import ConfigError, DataError

GROUPS = ("men", "women", "children", "unknown")
SPEAKERS_FILE = "speakers.csv"
SPEAKER_FROM = ("parent", "grandparent", "csv")
GROUP_COLUMNS = ("group", "gender", "sex")

#: Values accepted in a group / gender / sex column (case-insensitive) -> group.
GROUP_VALUES: dict[str, str] = {
    **dict.fromkeys(("men", "man", "m", "male"), "men"),
    **dict.fromkeys(("women", "woman", "w", "f", "female"), "women"),
    **dict.fromkeys(("children", "child", "c", "boy", "girl", "kid"), "children"),
    **dict.fromkeys(("unknown", "u", "", "x", "other", "na", "n/a"), "unknown"),
}

_TIMIT_SPEAKER = re.compile(r"^([MF])[A-Z]{3}[0-9]$", re.IGNORECASE)


def check_speaker_from(value: str | int) -> str | int:
    """``parent`` / ``grandparent`` / ``csv`` or a depth >= 1 (digits in a string count as a depth)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ConfigError(f"--speaker-from depth must be at least 1 (the first folder below the corpus root), "
                              f"got {value}")
        return value
    if value not in SPEAKER_FROM:
        raise ConfigError(f"--speaker-from must be one of {', '.join(SPEAKER_FROM)} or a folder depth (1 = the first "
                          f"folder below the corpus root), got {value!r}")
    return value


@dataclass
class SpeakerTable:
    """``speakers.csv`` read: speaker -> group, and (``--speaker-from csv``) file key -> speaker."""

    path: Path | None = None
    groups: dict[str, str] = field(default_factory=dict)
    files: dict[PurePosixPath, str] = field(default_factory=dict)
    column: str = "group"

    def unmatched(self, speakers: set[str]) -> list[str]:
        """Entries naming a speaker the corpus does not have."""
        return sorted(set(self.groups) - speakers)


def read_speaker_table(path: Path, *, by_file: bool = False) -> SpeakerTable:
    """Read ``speakers.csv``; absent = an empty table (refused when ``by_file``: it is then the speaker source)."""
    if not path.is_file():
        if by_file:
            raise DataError(f"{path}: missing; --speaker-from csv reads each file's speaker from it (columns "
                            "'file,speaker', optionally 'group', 'gender' or 'sex')")
        return SpeakerTable()
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot read the speaker table ({e}): fix or delete it") from e
    header = [c.strip().lower() for c in rows[0]] if rows else []
    columns = [c for c in GROUP_COLUMNS if c in header]
    need = ["file", "speaker"] if by_file else ["speaker"]
    if any(c not in header for c in need) or len(columns) > 1 or (not by_file and not columns):
        want = "'file,speaker' (and optionally one of group, gender, sex)" if by_file else \
            "'speaker' and one of 'group', 'gender', 'sex'"
        raise DataError(f"{path}, line 1: header must name {want}; found {','.join(header) or 'nothing'}: fix the "
                        "header")
    table = SpeakerTable(path=path, column=columns[0] if columns else "group")
    at = {c: header.index(c) for c in header}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path}, line {line}: {len(row)} fields, the header has {len(header)}: fix the line")
        speaker = row[at["speaker"]].strip()
        if not speaker:
            raise DataError(f"{path}, line {line}: empty speaker: fix the line")
        if columns:
            value = row[at[columns[0]]].strip()
            group = GROUP_VALUES.get(value.lower())
            if group is None:
                raise DataError(f"{path}, line {line}: {columns[0]} {value!r} is not one of "
                                f"{', '.join(sorted(k for k in GROUP_VALUES if k))}: fix the line")
            if table.groups.setdefault(speaker, group) != group:
                raise DataError(f"{path}, line {line}: speaker {speaker!r} is in two groups "
                                f"({table.groups[speaker]}, {group}): fix the file")
        if by_file:
            key = PurePosixPath(row[at["file"]].strip().replace("\\", "/"))
            if key.suffix.lower() == ".wav":
                key = key.with_suffix("")
            if table.files.setdefault(key, speaker) != speaker:
                raise DataError(f"{path}, line {line}: file {key} listed twice with different speakers: fix the file")
    return table


def speaker_of(key: PurePosixPath, root: Path, how: str | int, table: SpeakerTable) -> str | None:
    """The speaker of the utterance ``key`` (its path below ``root``, without suffix); None: not in the csv."""
    folders = key.parts[:-1]
    if how == "csv":
        return table.files.get(key)
    if how == "parent":
        return folders[-1] if folders else root.name
    if how == "grandparent":
        if len(folders) < 2:
            raise DataError(f"{root / key}: --speaker-from grandparent needs the wav two folders below the corpus "
                            "root (speaker/chapter/utt.wav); use --speaker-from parent for speaker/utt.wav")
        return folders[-2]
    depth = int(how)
    if len(folders) < depth:
        raise DataError(f"{root / key}: --speaker-from {depth} needs the wav at least {depth} folder(s) below the "
                        f"corpus root; it is {len(folders)} deep")
    return folders[depth - 1]


def timit_group(speaker: str) -> str | None:
    """TIMIT's speaker ids start with M or F (``FCJF0``)."""
    m = _TIMIT_SPEAKER.match(speaker)
    return None if m is None else {"m": "men", "f": "women"}[m.group(1).lower()]


def speaker_notes(root: Path, how: str | int, table: SpeakerTable, found: dict[str, str],
                  keys: list[PurePosixPath]) -> list[str]:
    """Warnings that the speakers may be read from the wrong place: unmatched speakers.csv entries,
    speaker/chapter nesting read by parent folder."""
    notes = []
    unmatched = table.unmatched(set(found))
    if unmatched:
        depth = {name: d + 1 for k in keys for d, name in enumerate(k.parts[:-1])}
        hint = ""
        at = sorted({depth[n] for n in unmatched if n in depth})
        if at:
            hint = f"; they are folder names at depth {at[0]} below the corpus root: try --speaker-from {at[0]}"
        shown = ", ".join(unmatched[:10]) + (f" (+{len(unmatched) - 10} more)" if len(unmatched) > 10 else "")
        notes.append(f"WARNING: {table.path} names {len(unmatched)} speaker(s) that match no speaker of the corpus "
                     f"(read with --speaker-from {how}): {shown}{hint}")
    nested = keys and all(len(k.parts) >= 3 for k in keys) and not all(timit_group(s) for s in found)
    if how == "parent" and nested:
        example = keys[0]
        notes.append(f"note: every wav sits two or more folders deep (e.g. {example}.wav) and its speaker is the "
                     f"parent folder ({example.parts[-2]!r}); for speaker/chapter/utt nesting (LibriTTS) use "
                     "--speaker-from grandparent")
    return notes
