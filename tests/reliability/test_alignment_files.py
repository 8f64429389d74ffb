"""Alignments and speaker tables as other tools write them (data/corpora/aligned.py, textgrid.py).

A .PHN counting 16 kHz samples beside a 22.05 kHz wav (every interval landed 27 % early), a
speakers.csv saved with a BOM (refused with a confusing header message), and a UTF-16 TextGrid
without a BOM (reported as "not a Praat text file (file type '\\x00o\\x00o…')").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from specxai_bench.cli import main
from specxai_bench.data.corpora.aligned import load_aligned_folder
from specxai_bench.data.corpora.textgrid import read_phones
from specxai_bench.errors import DataError


def _rescale_phn(corpus: Path, factor: float) -> None:
    for phn in corpus.rglob("*.PHN"):
        rows = [line.split() for line in phn.read_text().splitlines() if line.strip()]
        phn.write_text("".join(f"{round(int(a) * factor)} {round(int(b) * factor)} {lab}\n" for a, b, lab in rows))


def test_a_phn_written_for_another_rate_is_warned_about_and_phn_rate_reads_it(corpus_copy, capsys):
    reference, _ = load_aligned_folder(corpus_copy, measure_tracks=False)
    _rescale_phn(corpus_copy, 16000 / 22050)
    _, report = load_aligned_folder(corpus_copy, measure_tracks=False)
    warning = [w for w in report.warnings if "ends well before its audio" in w]
    assert warning and "pass --phn-rate 16000" in warning[0]
    assert report.warnings[warning[0]] == report.utterances  # every file, counted under one warning

    fixed, report = load_aligned_folder(corpus_copy, measure_tracks=False, phn_rate=16000)
    assert not [w for w in report.warnings if "ends well before" in w]
    assert [s.id for s in fixed.segments] == [s.id for s in reference.segments]
    assert max(abs(a.start - b.start) for a, b in zip(fixed.segments, reference.segments)) < 1e-3

    assert main(["corpus", "stats", str(corpus_copy), "--phn-rate", "16000"]) == 0
    assert "ends well before" not in capsys.readouterr().out


def test_a_speaker_table_with_a_bom_is_accepted(corpus_copy):
    table = corpus_copy / "speakers.csv"
    text = table.read_text(encoding="utf-8")
    table.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())  # as spreadsheet programs save it
    corpus, _ = load_aligned_folder(corpus_copy, measure_tracks=False)
    groups = dict(line.split(",") for line in text.splitlines()[1:])
    assert {s.speaker: s.group for s in corpus.segments} == groups


def test_a_utf16_textgrid_without_bom_names_the_encoding(exported, tmp_path):
    grid = sorted(exported.rglob("*.TextGrid"))[0]
    text = grid.read_text(encoding="utf-8")
    for codec, order in (("utf-16-le", "little-endian"), ("utf-16-be", "big-endian")):
        bad = tmp_path / f"{codec}.TextGrid"
        bad.write_bytes(text.encode(codec))
        with pytest.raises(DataError, match=re.escape(f"{bad}: UTF-16 ({order}) text without a byte-order mark")):
            read_phones(bad)
    with_bom = tmp_path / "bom.TextGrid"
    with_bom.write_bytes(text.encode("utf-16"))  # with its BOM, as Praat writes it: read as before
    assert read_phones(with_bom) == read_phones(grid)
