"""Praat TextGrid files (long "ooTextFile" and short formats): read, pick the phones tier, write.

Both text formats carry the same sequence of values; the long one only adds ``key =`` labels and
``[n]`` indices. So the reader tokenises quoted strings, numbers and ``<exists>`` flags, drops
everything else, and parses the value sequence once for both formats -- the way Praat reads them.
Any malformed input raises DataError naming the file and line; nothing else escapes.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...errors import DataError
from .intervals import Interval, check_intervals

#: Tier names taken as the phone tier, in order of preference (case-insensitive; MFA's
#: multi-speaker "<speaker> - phones" also matches).
PHONE_TIER_NAMES = ("phones", "phone", "phonemes", "phoneme")

_TOKEN = re.compile(
    r'"(?P<str>(?:[^"]|"")*)"'  # a Praat string; "" escapes a quote
    r"|\[[^\]\n\"]*\]"  # a long-format index such as [1] or []: skipped
    r"|(?P<flag><exists>|<absent>)"
    r"|(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])"
    r"|[A-Za-z_][\w?]*"  # long-format keys (xmin, intervals, size ...): skipped
    r"|\S"  # '=' ':' and stray punctuation: skipped
)


@dataclass(frozen=True)
class Tier:
    """One tier: ``kind`` is "IntervalTier" or "TextTier" (points come as zero-length intervals)."""

    name: str
    kind: str
    intervals: tuple[Interval, ...]
    lines: tuple[int, ...]  # 1-based line of each interval's start, for messages


@dataclass(frozen=True)
class TextGrid:
    xmin: float
    xmax: float
    tiers: tuple[Tier, ...]
    path: str = "<text>"


def read_textgrid(path: str | Path) -> TextGrid:
    """Parse the TextGrid file at ``path`` (UTF-8, UTF-16 with BOM, or Latin-1 text)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read the TextGrid ({e.strerror}): check the path and permissions") from e
    return parse_textgrid(_decode(data, path), path=str(path))


def parse_textgrid(text: str, *, path: str = "<text>") -> TextGrid:
    """Parse TextGrid ``text``; ``path`` only names it in messages."""
    toks = _Tokens(text, path)
    file_type = toks.string("the file type")
    if not file_type.startswith("ooTextFile"):
        raise DataError(f"{path}: not a Praat text file (file type {file_type[:40]!r}): "
                        "save it from Praat as a text or short text file")
    if (cls := toks.string("the object class")) != "TextGrid":
        raise DataError(f"{path}: a Praat {cls[:40]!r} object, not a TextGrid: give the alignment's TextGrid")
    xmin, xmax = toks.number("the TextGrid's xmin"), toks.number("the TextGrid's xmax")
    tiers: list[Tier] = []
    if toks.flag("the 'tiers?' flag") == "<exists>":
        for i in range(toks.count("the number of tiers")):
            tiers.append(_read_tier(toks, i + 1, path))
    toks.expect_end()
    return TextGrid(xmin, xmax, tuple(tiers), path)


def select_tier(grid: TextGrid, tier: str | None = None) -> Tier:
    """The tier named ``tier`` or, by default, the phones tier (see PHONE_TIER_NAMES).

    With no phone-named tier, a grid's only IntervalTier is used (unless it is a words tier);
    otherwise DataError lists the tier names so the caller can pass ``tier=``.
    """
    names = [t.name for t in grid.tiers]
    if tier is not None:
        for t in grid.tiers:
            if t.name == tier:
                return t
        raise DataError(f"{grid.path}: no tier named {tier!r}; its tiers are {names}")
    for wanted in PHONE_TIER_NAMES:
        hits = [t for t in grid.tiers if _tier_key(t.name) == wanted and t.kind == "IntervalTier"]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise DataError(f"{grid.path}: several phone tiers {[t.name for t in hits]}: "
                            "pass tier= to choose one (one speaker per file)")
    interval_tiers = [t for t in grid.tiers if t.kind == "IntervalTier"]
    if len(interval_tiers) == 1 and _tier_key(interval_tiers[0].name) not in ("words", "word"):
        return interval_tiers[0]
    raise DataError(f"{grid.path}: no phone tier among {names}: name it one of {list(PHONE_TIER_NAMES)} "
                    "or pass tier=")


def read_phones(path: str | Path, *, tier: str | None = None, duration: float | None = None) -> list[Interval]:
    """The phone intervals of the TextGrid at ``path``, validated (see intervals.check_intervals).

    With ``duration`` (the audio's, in seconds), intervals past the end raise DataError.
    """
    grid = read_textgrid(path)
    chosen = select_tier(grid, tier)
    if chosen.kind != "IntervalTier":
        raise DataError(f"{path}: tier {chosen.name!r} is a point tier (TextTier): phones need an IntervalTier")
    return check_intervals(chosen.intervals, chosen.lines, path, duration=duration)


def write_textgrid(path: str | Path, tiers: Mapping[str, Sequence[Interval]], *, xmax: float,
                   xmin: float = 0.0) -> None:
    """Write IntervalTiers (long text format, UTF-8); gaps become empty intervals as Praat needs."""
    if not xmax > xmin:
        raise DataError(f"{path}: TextGrid xmax ({xmax}) must exceed xmin ({xmin})")
    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", f"xmin = {_num(xmin)} ",
           f"xmax = {_num(xmax)} ", "tiers? <exists> ", f"size = {len(tiers)} ", "item []: "]
    for i, (name, intervals) in enumerate(tiers.items(), start=1):
        full = _fill_gaps(check_intervals(intervals, range(1, len(intervals) + 1), path, duration=xmax), xmin, xmax)
        out += [f"    item [{i}]:", '        class = "IntervalTier" ', f"        name = {_quote(name)} ",
                f"        xmin = {_num(xmin)} ", f"        xmax = {_num(xmax)} ",
                f"        intervals: size = {len(full)} "]
        for j, iv in enumerate(full, start=1):
            out += [f"        intervals [{j}]:", f"            xmin = {_num(iv.start)} ",
                    f"            xmax = {_num(iv.end)} ", f"            text = {_quote(iv.label)} "]
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def _fill_gaps(intervals: Sequence[Interval], xmin: float, xmax: float) -> list[Interval]:
    full, t = [], xmin
    for iv in intervals:
        if iv.start > t:
            full.append(Interval(t, iv.start, ""))
        full.append(iv)
        t = iv.end
    if t < xmax:
        full.append(Interval(t, xmax, ""))
    return full


def _num(x: float) -> str:
    return repr(float(x))  # shortest exact decimal; float() also unwraps numpy scalars


def _quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _tier_key(name: str) -> str:
    key = name.strip().lower()
    return key.rsplit(" - ", 1)[-1].strip()  # MFA: "speaker - phones"


def _decode(data: bytes, path: str | Path) -> str:
    if data.startswith(b"ooBinaryFile"):
        raise DataError(f"{path}: a binary Praat file: save the TextGrid from Praat as a text file")
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff") and (order := _bomless_utf16(data)):
        raise DataError(f"{path}: UTF-16 ({order}) text without a byte-order mark (every other byte is 0), so "
                        "its encoding cannot be told for sure: re-save it from Praat (which writes the mark) or "
                        "convert it to UTF-8")
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise DataError(f"{path}: broken UTF-16 text: re-save the TextGrid from Praat") from None
        return data.decode("latin-1")  # older Praat wrote ISO Latin-1


def _bomless_utf16(data: bytes) -> str | None:
    """"little-endian" / "big-endian" when ``data`` looks like UTF-16 text without a BOM: ASCII
    characters then leave a zero byte at every odd (little-endian) or even (big-endian) offset."""
    head = data[:400]
    if len(head) < 4 or head.count(0) < len(head) // 4:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd >= 0.8 * len(head[1::2]) and even < 0.2 * len(head[0::2]):
        return "little-endian"
    if even >= 0.8 * len(head[0::2]) and odd < 0.2 * len(head[1::2]):
        return "big-endian"
    return None


def _read_tier(toks: "_Tokens", number: int, path: str) -> Tier:
    kind = toks.string(f"the class of tier {number}")
    if kind not in ("IntervalTier", "TextTier"):
        raise DataError(f"{path}, line {toks.line}: tier {number} has class {kind[:40]!r}; "
                        "expected IntervalTier or TextTier")
    name = toks.string(f"the name of tier {number}")
    toks.number(f"the xmin of tier {name!r}")
    toks.number(f"the xmax of tier {name!r}")
    intervals, lines = [], []
    for j in range(toks.count(f"the size of tier {name!r}")):
        what = f"{'interval' if kind == 'IntervalTier' else 'point'} {j + 1} of tier {name!r}"
        line = toks.line_ahead
        start = toks.number(f"the start of {what}")
        end = toks.number(f"the end of {what}") if kind == "IntervalTier" else start
        intervals.append(Interval(start, end, toks.string(f"the text of {what}")))
        lines.append(line)
    return Tier(name, kind, tuple(intervals), tuple(lines))


class _Tokens:
    """The values of a Praat text file (strings, numbers, flags), each with its line number."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        newlines = [m.start() for m in re.finditer("\n", text)]
        self.items: list[tuple[str, str, int]] = []
        for m in _TOKEN.finditer(text):
            kind = m.lastgroup
            if kind is not None:
                self.items.append((kind, m.group(kind), bisect.bisect_left(newlines, m.start()) + 1))
        self.pos = 0
        self.line = 1

    @property
    def line_ahead(self) -> int:
        return self.items[self.pos][2] if self.pos < len(self.items) else self.line

    def _next(self, kind: str, what: str) -> str:
        if self.pos >= len(self.items):
            raise DataError(f"{self.path}: file ends early, while reading {what} (truncated?): "
                            "re-export the TextGrid")
        got, value, self.line = self.items[self.pos]
        self.pos += 1
        if got != kind:
            names = {"str": "a quoted string", "num": "a number", "flag": "<exists> or <absent>"}
            raise DataError(f"{self.path}, line {self.line}: expected {names[kind]} for {what}, "
                            f"got {value[:40]!r}: the file is not a valid TextGrid; re-export it")
        return value

    def string(self, what: str) -> str:
        return self._next("str", what).replace('""', '"')

    def number(self, what: str) -> float:
        value = float(self._next("num", what))
        if not math.isfinite(value):
            raise DataError(f"{self.path}, line {self.line}: {what} is not a finite number")
        return value

    def count(self, what: str) -> int:
        value = self.number(what)
        if value < 0 or value != int(value):
            raise DataError(f"{self.path}, line {self.line}: {what} must be a whole number >= 0, got {value}")
        return int(value)

    def flag(self, what: str) -> str:
        return self._next("flag", what)

    def expect_end(self) -> None:
        if self.pos < len(self.items):
            _, value, line = self.items[self.pos]
            raise DataError(f"{self.path}, line {line}: unexpected {value[:40]!r} after the last tier: "
                            "the tier or interval counts do not match the contents; re-export the TextGrid")
