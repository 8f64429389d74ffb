"""Per-sample result rows and run manifests, in one SQLite file.

SQLite because a chunk of rows is then either fully written or absent (one transaction per
chunk), a resumed run can skip keys already present, and a duplicate key is impossible
(primary key). Tables and leaderboards read only this store.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from ..errors import SpecXAIError


class StoreWriteError(SpecXAIError):
    """The result store could not be written (disk full, permissions)."""


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


def _migrate_v1(conn: sqlite3.Connection) -> None:
    """Version 1 rows had no target mode: each row takes its run's (from the run's manifest; "true"
    where the manifest is missing, the default every version-1 run without one used)."""
    has_runs = conn.execute("SELECT 1 FROM sqlite_master WHERE name='runs'").fetchone() is not None
    modes = {run: json.loads(m).get("target_class", "true")
             for run, m in (conn.execute("SELECT run, manifest FROM runs") if has_runs else [])}
    conn.create_function("target_mode_of", 1, lambda run: modes.get(run, "true"), deterministic=True)
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
    """The run's SQLite store; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30.0)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        has_rows = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name='rows'").fetchone() is not None
        if has_rows and version < SCHEMA_VERSION:
            _migrate_v1(self.conn)
        self.conn.executescript(SCHEMA)
        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done_samples(self, task: str, model: str, target_mode: str, method: str, options: str, metric: str,
                     version: int) -> set[str]:
        """Samples whose row for this key (all of it but the sample) is already stored."""
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
            with self.conn:
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
        return pd.read_sql_query(f"SELECT {', '.join(COLUMNS)} FROM rows ORDER BY {', '.join(KEY)}", self.conn)

    def models_frame(self) -> pd.DataFrame:
        df = pd.read_sql_query("SELECT * FROM models ORDER BY task, model", self.conn)
        metas = [json.loads(m) for m in df["meta"]]
        for key in ("test_accuracy", "n_test", "arch", "image_size", "profile", "device"):
            df[key] = [m.get(key) for m in metas]
        return df

    def native_grids_frame(self) -> pd.DataFrame:
        """Columns task, model, method, method_options, grid (empty for a store written before the table existed)."""
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name='native_grids'").fetchone() is None:
            return pd.DataFrame(columns=list(NATIVE_GRID_COLUMNS))
        return pd.read_sql_query(f"SELECT {', '.join(NATIVE_GRID_COLUMNS)} FROM native_grids "
                                 "ORDER BY task, model, method, method_options", self.conn)

    def timings_frame(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM timings", self.conn)

    def manifests(self) -> dict[str, dict[str, Any]]:
        return {r: json.loads(m) for r, m in self.conn.execute("SELECT run, manifest FROM runs ORDER BY run")}
