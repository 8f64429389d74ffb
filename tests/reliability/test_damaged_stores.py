"""Stores that explain themselves (results/store.py, results/board.py, runtime/lock.py).

A damaged results.sqlite gave a raw sqlite3 traceback (exit 1); `leaderboard --results` switched
another program's database to WAL mode and added four tables to it; a board made while a run was
still writing was ranked with no mark that the run was unfinished.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from specxai_bench.cli import main
from specxai_bench.results.store import COLUMNS, KEY, ResultStore
from specxai_bench.runtime.lock import OutputLock


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def _truncated(store: Path) -> None:
    store.write_bytes(store.read_bytes()[: len(store.read_bytes()) // 2])


def _garbage(store: Path) -> None:
    store.write_bytes(b"these are not the rows you are looking for\n" * 200)


@pytest.mark.parametrize("damage", [_truncated, _garbage])
def test_a_damaged_store_exits_2_naming_the_file_and_what_to_do(damage, trained, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(trained, out)
    store = out / "results.sqlite"
    damage(store)
    before = digest(store)
    rc = main(["run", "--profile", "smoke", "--tasks", "voicing", "--methods", "cam", "--output", str(out),
               "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and f"{store} is damaged" in err and "move it out of the output folder" in err, err[-2000:]
    rc = main(["leaderboard", "--results", str(store), "--out", str(tmp_path / "board")])
    err = capsys.readouterr().err
    assert rc == 2 and f"{store} is damaged" in err and "written by `specxai-bench run`" in err, err[-2000:]
    assert digest(store) == before and not (tmp_path / "board").exists()


def test_a_read_only_command_refuses_a_foreign_database_without_changing_it(tmp_path, capsys):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.execute("INSERT INTO invoices VALUES (1, 9.5)")
    db.close()
    before, files = digest(other), siblings(other)
    for command in ("leaderboard", "report"):
        rc = main([command, "--results", str(other), "--out", str(tmp_path / command)])
        err = capsys.readouterr().err
        assert rc == 2 and f"{other} is not a specxai-bench result store (its tables are invoices" in err, err
    assert digest(other) == before and siblings(other) == files  # no WAL switch, no -wal/-shm, no tables
    with sqlite3.connect(other) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    db.close()


def _as_version_1(store: Path, dst: Path) -> None:
    """The rows of ``store`` in a version-1 store (no target_mode column, user_version 0)."""
    old_columns = [c for c in COLUMNS if c != "target_mode"]
    with sqlite3.connect(dst) as db:
        db.execute(f"CREATE TABLE rows ({', '.join(old_columns)}, PRIMARY KEY "
                   f"({', '.join(k for k in KEY if k != 'target_mode')}))")
        db.execute("CREATE TABLE models (task, model, meta, PRIMARY KEY (task, model))")
        db.execute("CREATE TABLE timings (task, model, method, method_options, samples, seconds, run)")
        db.execute("CREATE TABLE runs (run PRIMARY KEY, manifest)")
        db.execute("ATTACH DATABASE ? AS new", (str(store),))
        db.execute(f"INSERT INTO rows SELECT {', '.join(old_columns)} FROM new.rows")
        for table in ("models", "timings", "runs"):
            db.execute(f"INSERT INTO {table} SELECT * FROM new.{table}")
    db.close()


def test_a_version_1_store_is_read_as_version_1_in_memory(trained, tmp_path, capsys):
    v1 = tmp_path / "v1" / "results.sqlite"
    v1.parent.mkdir()
    _as_version_1(trained / "results.sqlite", v1)
    before, files = digest(v1), siblings(v1)
    with ResultStore(v1, read_only=True) as old, ResultStore(trained / "results.sqlite", read_only=True) as new:
        assert old.version == 1
        assert old.rows_frame().equals(new.rows_frame())  # target_mode derived from the run's manifest
    assert main(["leaderboard", "--results", str(v1), "--out", str(tmp_path / "board")]) == 0
    assert "| cam |" in (tmp_path / "board" / "voicing.md").read_text()
    assert digest(v1) == before and siblings(v1) == files  # not migrated, not switched to WAL


def test_a_board_made_while_a_run_writes_is_marked_unfinished(trained, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(trained, out)
    with OutputLock(out):  # as a run holds it until it ends (and writes its manifest)
        assert main(["leaderboard", "--results", str(out / "results.sqlite"), "--out", str(tmp_path / "b1")]) == 0
    board = (tmp_path / "b1" / "voicing.md").read_text()
    assert "UNFINISHED RUN: a run (pid " in board and str(out / "results.sqlite") in board
    assert main(["leaderboard", "--results", str(out / "results.sqlite"), "--out", str(tmp_path / "b2")]) == 0
    assert "UNFINISHED" not in (tmp_path / "b2" / "voicing.md").read_text()
