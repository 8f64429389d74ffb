"""Per-sample result rows and run manifests, in one SQLite file.

SQLite because a chunk of rows is then either fully written or absent (one transaction per
chunk), a resumed run can skip keys already present, and a duplicate key is impossible
(primary key). Tables and leaderboards read only this store.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd

from ..errors import SpecXAIError


class StoreWriteError(SpecXAIError):
    """The result store could not be written (disk full, permissions)."""


class StoreError(SpecXAIError):
    """A results file that is damaged, or is not a result store (another program's database)."""


# The result-row key, defined here only: a row is one value of one metric for one sample, under one
# model, target mode ("true" / "predicted" class attributed) and method with its options.
KEY = ("task", "model", "target_mode", "method", "method_options", "metric", "metric_version", "sample")
COLUMNS = KEY + ("label", "speaker", "target", "value", "error", "run")
SCHEMA_VERSION = 2  # 2: target_mode in the key (version 1 stores are migrated on open)

ROWS_TABLE = f"""CREATE TABLE IF NOT EXISTS rows (
    task TEXT NOT NULL, model TEXT NOT NULL, target_mode TEXT NOT NULL, method TEXT NOT NULL,
    method_options TEXT NOT NULL, metric TEXT NOT NULL, metric_version INTEGER NOT NULL, sample TEXT NOT NULL,
    label TEXT NOT NULL, speaker TEXT NOT NULL, target INTEGER NOT NULL, value REAL, error TEXT,
    run TEXT NOT NULL,
    PRIMARY KEY ({", ".join(KEY)})
)"""
SCHEMA = ROWS_TABLE + """;
CREATE TABLE IF NOT EXISTS models (
    task TEXT NOT NULL, model TEXT NOT NULL, meta TEXT NOT NULL, PRIMARY KEY (task, model)
);
CREATE TABLE IF NOT EXISTS timings (
    task TEXT NOT NULL, model TEXT NOT NULL, method TEXT NOT NULL, method_options TEXT NOT NULL,
    samples INTEGER NOT NULL, seconds REAL NOT NULL, run TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (run TEXT PRIMARY KEY, manifest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS native_grids (
    task TEXT NOT NULL, model TEXT NOT NULL, method TEXT NOT NULL, method_options TEXT NOT NULL,
    grid TEXT NOT NULL, PRIMARY KEY (task, model, method, method_options)
);
"""
# each method's native grid (rows x columns of its maps before upsampling: "7x7" for CAM at 224 px),
# keyed like the rows' (task, model, method, method_options): the boards show it beside the scores
NATIVE_GRID_COLUMNS = ("task", "model", "method", "method_options", "grid")


@dataclass(frozen=True)
class ResultRow:
    task: str
    model: str
    target_mode: str
    method: str
    method_options: str
    metric: str
    metric_version: int
    sample: str
    label: str
    speaker: str
    target: int
    value: float | None
    error: str | None
    run: str


assert tuple(f.name for f in fields(ResultRow)) == COLUMNS

DAMAGED = ("SQLITE_NOTADB", "SQLITE_CORRUPT")  # what SQLite says of a truncated or overwritten file


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` without changing it: ``mode=ro``; ``immutable=1`` for a WAL-mode file without its
    ``-shm`` (a closed store: a read-only connection would create the -shm and -wal files beside it)."""
    if not path.is_file():
        raise StoreError(f"results store {path} does not exist; give the results.sqlite a run wrote")
    with path.open("rb") as f:
        header = f.read(20)
    wal_mode = len(header) == 20 and header[:16] == b"SQLite format 3\x00" and header[18] == 2
    quiet = wal_mode and not Path(f"{path}-shm").exists() and not Path(f"{path}-wal").exists()
    return sqlite3.connect(f"{path.resolve().as_uri()}?{'immutable=1' if quiet else 'mode=ro'}", uri=True,
                           timeout=30.0)


def _derive_target_modes(conn: sqlite3.Connection) -> None:
    """Version 1 rows had no target mode: each row takes its run's (from the run's manifest; "true"
    where the manifest is missing, the default every version-1 run without one used). Defines the
    SQL function ``target_mode_of(run)`` on ``conn``; the migration and a read-only open share it."""
    has_runs = conn.execute("SELECT 1 FROM sqlite_master WHERE name='runs'").fetchone() is not None
    modes = {run: json.loads(m).get("target_class", "true")
             for run, m in (conn.execute("SELECT run, manifest FROM runs") if has_runs else [])}
    conn.create_function("target_mode_of", 1, lambda run: modes.get(run, "true"), deterministic=True)


def _migrate_v1(conn: sqlite3.Connection) -> None:
    """Rewrite a version-1 store's rows with the target mode in the key (:func:`_derive_target_modes`)."""
    _derive_target_modes(conn)
    conn.commit()
    conn.execute("BEGIN IMMEDIATE")  # one transaction: a killed migration leaves the version-1 store as it was
    try:
        conn.execute("ALTER TABLE rows RENAME TO rows_v1")
        conn.execute(ROWS_TABLE)
        conn.execute(f"INSERT INTO rows ({', '.join(COLUMNS)}) SELECT "
                     f"{', '.join('target_mode_of(run)' if c == 'target_mode' else c for c in COLUMNS)} FROM rows_v1")
        conn.execute("DROP TABLE rows_v1")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class ResultStore:
    """The run's SQLite store; every write is one transaction.

    ``read_only=True`` (leaderboard, report): the file is opened read-only and never changed (no
    journal-mode switch, no new tables, no migration: a version-1 store is read as version 1, its
    target mode derived in memory). Either way a damaged file or another program's database is
    refused with a :class:`StoreError` naming the file, before anything is written to it.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.tables: set[str] = set()
        self.version = SCHEMA_VERSION
        self.conn: sqlite3.Connection | None = None
        try:
            with self._reading():
                self._open()
        except BaseException:
            if self.conn is not None:
                self.conn.close()
            raise

    def _open(self) -> None:
        if self.read_only:
            self.conn = _connect_read_only(self.path)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=30.0)
        self._check_store()
        if self.read_only:
            if self.version < SCHEMA_VERSION:
                _derive_target_modes(self.conn)
            return
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        if "rows" in self.tables and self.version < SCHEMA_VERSION:
            _migrate_v1(self.conn)
        self.conn.executescript(SCHEMA)
        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.version = SCHEMA_VERSION
        self.tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def _check_store(self) -> None:
        """Refuse a damaged file, and a database whose tables are not a result store's."""
        assert self.conn is not None
        check = self.conn.execute("PRAGMA quick_check(1)").fetchone()  # ~0.5 s per million rows
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {check[0] if check else 'no answer'}")
        self.tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in self.conn.execute("PRAGMA table_info(rows)")} if "rows" in self.tables else set()
        self.version = SCHEMA_VERSION if "target_mode" in columns else 1
        needed = set(COLUMNS) - ({"target_mode"} if self.version == 1 else set())
        empty_new_file = not self.tables and not self.read_only
        if not empty_new_file and not needed <= columns:
            what = f"its tables are {', '.join(sorted(self.tables))}" if self.tables else "it holds no tables"
            raise StoreError(f"{self.path} is not a specxai-bench result store ({what}; a store has a `rows` table "
                             f"of per-sample results): {self._what_to_do()}. Nothing in it was changed")

    def _what_to_do(self) -> str:
        if self.read_only:
            return "give a results.sqlite written by `specxai-bench run` (--results)"
        return ("move it out of the output folder (or delete it) and rerun, or choose another --output; a rerun "
                "recomputes the rows (cached models are reused)")

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """A damaged file (truncated, overwritten) becomes a StoreError saying what to do."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorname", "") not in DAMAGED and type(exc) is not sqlite3.DatabaseError:
                raise  # locked, disk full ...: not damage
            raise StoreError(f"{self.path} is damaged or is not an SQLite database ({exc}); it cannot be read as a "
                             f"result store: {self._what_to_do()}") from None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done_samples(self, task: str, model: str, target_mode: str, method: str, options: str, metric: str,
                     version: int) -> set[str]:
        """Samples whose row for this key (all of it but the sample) is already stored."""
        with self._reading():
            cur = self.conn.execute(
                f"SELECT sample FROM rows WHERE {' AND '.join(f'{k}=?' for k in KEY[:-1])}",
                (task, model, target_mode, method, options, metric, version))
            return {r[0] for r in cur}

    def write_rows(self, rows: Iterable[ResultRow]) -> int:
        """Insert a chunk atomically; keys already present are kept (never duplicated).

        A failed write (disk full, read-only folder) rolls the chunk back and raises a clear error:
        the rows committed before it stay, and rerunning the same command resumes from there.
        """
        data = [astuple(r) for r in rows]
        try:
            with self._reading(), self.conn:
                cur = self.conn.executemany(f"INSERT OR IGNORE INTO rows ({', '.join(COLUMNS)}) "
                                            f"VALUES ({','.join('?' * len(COLUMNS))})", data)
        except (sqlite3.OperationalError, OSError) as exc:
            raise StoreWriteError(f"could not write results to {self.path} ({exc}); the rows committed so far "
                                  "are kept: free disk space (or fix permissions) and rerun the same command "
                                  "to resume") from None
        return cur.rowcount

    def write_model(self, task: str, model: str, meta: dict[str, Any]) -> None:
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO models VALUES (?, ?, ?)",
                              (task, model, json.dumps(meta, sort_keys=True, default=str)))

    def write_timing(self, task: str, model: str, method: str, options: str, samples: int, seconds: float,
                     run: str) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO timings VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (task, model, method, options, samples, seconds, run))

    def write_native_grid(self, task: str, model: str, method: str, options: str, grid: tuple[int, int]) -> None:
        """Record the grid the method's maps are made on (``(7, 7)`` is stored as ``"7x7"``)."""
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO native_grids VALUES (?, ?, ?, ?, ?)",
                              (task, model, method, options, f"{int(grid[0])}x{int(grid[1])}"))

    def write_manifest(self, run: str, manifest: dict[str, Any]) -> None:
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?)",
                              (run, json.dumps(manifest, sort_keys=True, default=str)))

    def rows_frame(self) -> pd.DataFrame:
        cols = ", ".join("target_mode_of(run) AS target_mode" if c == "target_mode" and self.version < 2 else c
                         for c in COLUMNS)
        with self._reading():
            return pd.read_sql_query(f"SELECT {cols} FROM rows ORDER BY {', '.join(KEY)}", self.conn)

    def models_frame(self) -> pd.DataFrame:
        with self._reading():
            df = (pd.read_sql_query("SELECT * FROM models ORDER BY task, model", self.conn) if "models" in self.tables
                  else pd.DataFrame({"task": [], "model": [], "meta": []}))
        metas = [json.loads(m) for m in df["meta"]]
        for key in ("test_accuracy", "n_test", "arch", "image_size", "profile", "device"):
            df[key] = [m.get(key) for m in metas]
        return df

    def native_grids_frame(self) -> pd.DataFrame:
        """Columns task, model, method, method_options, grid (empty for a store written before the table existed)."""
        if "native_grids" not in self.tables:
            return pd.DataFrame(columns=list(NATIVE_GRID_COLUMNS))
        with self._reading():
            return pd.read_sql_query(f"SELECT {', '.join(NATIVE_GRID_COLUMNS)} FROM native_grids "
                                     "ORDER BY task, model, method, method_options", self.conn)

    def timings_frame(self) -> pd.DataFrame:
        if "timings" not in self.tables:
            return pd.DataFrame(columns=["task", "model", "method", "method_options", "samples", "seconds", "run"])
        with self._reading():
            return pd.read_sql_query("SELECT * FROM timings", self.conn)

    def manifests(self) -> dict[str, dict[str, Any]]:
        if "runs" not in self.tables:
            return {}
        with self._reading():
            return {r: json.loads(m) for r, m in self.conn.execute("SELECT run, manifest FROM runs ORDER BY run")}
