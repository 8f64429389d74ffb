"""Boards that fit a screen and say what their cells rest on (results/render.py, cells.py, export.py)."""

from __future__ import annotations

import os
import re

from specxai_bench.results import leaderboard, render
from specxai_bench.results.aggregate import BoardConfig
from specxai_bench.results.board import build_board

from .conftest import HIGH, LIFT, make_store

FAST = BoardConfig(n_resamples=499)
MANY = (LIFT, HIGH, "formant_band_mass@F123,w100hz,10pct", "formant_band_lift@F1,w100hz,10pct",
        "formant_band_lift@F2,w100hz,10pct", "formant_band_lift@F3,w100hz,10pct", "formant_pointing_game@F123,w100hz,10pct",
        "f0_band_mass@below700hz", "band_deletion@K16,min", "band_deletion_gain@K16,min,r4,seed0",
        "faithfulness_correlation@S224,R8,seed0")
LONG = {"lrp_epsilon_plus_flat": -120.5, "integrated_gradients": 14.674, "cam": -0.05, "input_energy": 1.7,
        "uniform": 1.0, "random": 1.0}


def md_tables(text: str) -> list[list[str]]:
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def test_every_main_table_fits_160_characters_and_8_columns_with_a_legend(tmp_path):
    board = build_board([make_store(tmp_path / "a.sqlite", metrics=MANY, methods=LONG)], FAST)
    md = render.markdown_task(board, "vowel5")
    main = render.markdown_main_table(board, "vowel5", "m1")
    assert len(md_tables(main)) >= 4  # split by family and width
    for table in md_tables(main) + md_tables(md.split("### Column legend")[1].split("## Notes")[0]):
        if table[0].startswith("| alias |"):
            continue
        assert all(len(line) <= 160 for line in table), max(table, key=len)
        assert len(re.split(r"(?<!\\)\|", table[0])) - 2 <= 8
    legend = md.split("### Column legend")[1].split("###")[0]
    for metric in MANY:
        assert f"`{metric}`" in legend  # every alias maps to its full id and version
    heads = {h.strip() for t in md_tables(main) for h in t[0].split("|")[2:-1]}
    assert "fb.lift F1 ↑" in heads and "hb.share ↓" in heads and "Δ" not in "".join(heads)


def test_a_cell_with_two_speakers_prints_no_ci_and_no_rank(tmp_path):
    board = build_board([make_store(tmp_path / "a.sqlite", speakers=2)], FAST)
    main = render.markdown_main_table(board, "vowel5", "m1")
    row = next(line for line in main.splitlines() if line.startswith("| cam |"))
    assert "(2 spk: no CI)" in row and "[" not in row and not re.search(r" =?\d \|", row)
    assert "fewer than 5 speakers" in render.markdown_task(board, "vowel5")
    tex = render.latex_task(board, "vowel5", per_class=False)
    assert "(2 spk: no CI)" in tex


def test_voicing_reads_voiced_and_unvoiced_apart(tmp_path):
    store = make_store(tmp_path / "a.sqlite", task="voicing", labels=("z", "m", "iy", "s", "t"),
                       metrics=("f0_band_mass@below700hz",))
    board = build_board([store], FAST)
    assert board.parts("voicing") == ["voiced", "unvoiced"]
    main = render.markdown_main_table(board, "voicing", "m1")
    assert main.index("**voiced samples**") < main.index("**unvoiced samples**")
    cells = board.overall.set_index(["part", "method"])
    assert cells.loc[("voiced", "cam"), "n"] == 18 and cells.loc[("unvoiced", "cam"), "n"] == 12
    tex = render.latex_task(board, "voicing", per_class=False)
    assert "part & method" in tex and "\nunvoiced & cam" in tex


def test_regenerated_boards_carry_no_local_paths_and_the_same_bytes(tmp_path):
    (tmp_path / "stores").mkdir()
    make_store(tmp_path / "stores" / "results.sqlite", metrics=(LIFT, HIGH))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        leaderboard.regenerate(["stores/results.sqlite"], "boards", FAST)
        first = {p.name: p.read_bytes() for p in (tmp_path / "boards").iterdir()}
        leaderboard.regenerate([tmp_path / "stores" / "results.sqlite"], tmp_path / "boards", FAST)  # absolute
    finally:
        os.chdir(cwd)
    again = {p.name: p.read_bytes() for p in (tmp_path / "boards").iterdir()}
    assert again == first and set(first) >= {"leaderboard.json", "randomisation.csv", "vowel5.md"}
    for name, data in first.items():
        assert str(tmp_path).encode() not in data, name
    assert b"`specxai-bench leaderboard --results stores/results.sqlite --out boards --n-resamples 499`" in \
        first["vowel5.md"]
    assert b"store 1 of 1" in first["vowel5.md"]


def test_a_method_with_variants_labels_each_by_its_options_and_the_default_as_defaults():
    from specxai_bench.results.board import Entry
    from specxai_bench.results.cells import label

    entries = [Entry("input_energy", "{}", "true"), Entry("input_energy", '{"scale": "power"}', "true"),
               Entry("cam", "{}", "true")]
    assert [label(e, entries) for e in entries] == [
        "*input_energy (defaults)* †", "*input_energy (scale=power)* †", "cam"]
