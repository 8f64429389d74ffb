"""Each method's native grid is stored beside its rows and read back through load_stores."""

from __future__ import annotations

import sqlite3

from specxai_bench.results.board import load_stores
from specxai_bench.results.store import ResultRow, ResultStore


def row(method: str, options: str, sample: str = "s0/aa_00") -> ResultRow:
    return ResultRow("vowel5", "m1", "true", method, options, "formant_band_lift@F123,w100hz,10pct", 1, sample, "aa",
                     "s0", 3, 1.5, None, "r1")


def test_native_grid_written_and_loaded(tmp_path):
    path = tmp_path / "results.sqlite"
    with ResultStore(path) as store:
        store.write_rows([row("cam", '{"layer": "layer4"}'), row("input_energy", "{}"),
                          row("input_energy", '{"grid": "7x7", "scale": "power"}')])
        store.write_native_grid("vowel5", "m1", "cam", '{"layer": "layer4"}', (7, 7))
        store.write_native_grid("vowel5", "m1", "input_energy", "{}", (224, 224))
        store.write_native_grid("vowel5", "m1", "input_energy", '{"grid": "7x7", "scale": "power"}', (7, 7))
        store.write_native_grid("vowel5", "m1", "cam", '{"layer": "layer4"}', (7, 7))  # again: one entry
        assert len(store.native_grids_frame()) == 3
    src = load_stores([path])
    assert src.native_grid("vowel5", "m1", "cam", '{"layer": "layer4"}') == "7x7"
    assert src.native_grid("vowel5", "m1", "input_energy", "{}") == "224x224"
    assert src.native_grid("vowel5", "m1", "input_energy", '{"grid": "7x7", "scale": "power"}') == "7x7"
    assert src.native_grid("vowel5", "m1", "gradcam", "{}") is None


def test_a_store_written_before_the_table_existed_reads_as_empty(tmp_path):
    path = tmp_path / "old.sqlite"
    with ResultStore(path) as store:
        store.write_rows([row("cam", '{"layer": "layer4"}')])
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE native_grids")
    with sqlite3.connect(path) as db:  # as an older version left it
        assert db.execute("SELECT 1 FROM sqlite_master WHERE name='native_grids'").fetchone() is None
    src = load_stores([path])
    assert src.native_grid("vowel5", "m1", "cam", '{"layer": "layer4"}') is None
    assert list(src.native_grids.columns) == ["task", "model", "method", "method_options", "grid"]


def test_the_first_store_given_wins(tmp_path):
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    for path, grid in ((a, (7, 7)), (b, (14, 14))):
        with ResultStore(path) as store:
            store.write_rows([row("cam", "{}", sample=f"s0/aa_{grid[0]:02d}")])
            store.write_native_grid("vowel5", "m1", "cam", "{}", grid)
    assert load_stores([a, b]).native_grid("vowel5", "m1", "cam", "{}") == "7x7"
    assert load_stores([b, a]).native_grid("vowel5", "m1", "cam", "{}") == "14x14"
