"""Per-sample result rows and run manifests, in one SQLite file.

SQLite because a chunk of rows is then either fully written or absent (one transaction per
chunk), a resumed run can skip keys already present, and a duplicate key is impossible
(primary key). Tables and leaderboards read only this store.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from .errors import SpecXAIError

class StoreWriteError(SpecXAIError):
    """The result store could not be written (disk full, permissions)."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    task TEXT NOT NULL, model TEXT NOT NULL, method TEXT NOT NULL, method_options TEXT NOT NULL,
    metric TEXT NOT NULL, metric_version INTEGER NOT NULL, sample TEXT NOT NULL,
    label TEXT NOT NULL, speaker TEXT NOT NULL, target INTEGER NOT NULL, value REAL, error TEXT,
    run TEXT NOT NULL,
    PRIMARY KEY (task, model, method, method_options, metric, metric_version, sample)
);
CREATE TABLE IF NOT EXISTS models (
    task TEXT NOT NULL, model TEXT NOT NULL, meta TEXT NOT NULL, PRIMARY KEY (task, model)
);
CREATE TABLE IF NOT EXISTS timings (
    task TEXT NOT NULL, model TEXT NOT NULL, method TEXT NOT NULL, method_options TEXT NOT NULL,
    samples INTEGER NOT NULL, seconds REAL NOT NULL, run TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (run TEXT PRIMARY KEY, manifest TEXT NOT NULL);
"""


@dataclass(frozen=True)
class ResultRow:
    task: str
    model: str
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


class ResultStore:
    """The run's SQLite store; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30.0)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done_samples(self, task: str, model: str, method: str, options: str, metric: str, version: int) -> set[str]:
        cur = self.conn.execute(
            "SELECT sample FROM rows WHERE task=? AND model=? AND method=? AND method_options=? "
            "AND metric=? AND metric_version=?", (task, model, method, options, metric, version))
        return {r[0] for r in cur}

    def write_rows(self, rows: Iterable[ResultRow]) -> int:
        """Insert a chunk atomically; keys already present are kept (never duplicated).

        A failed write (disk full, read-only folder) rolls the chunk back and raises a clear error:
        the rows committed before it stay, and rerunning the same command resumes from there.
        """
        data = [tuple(r.__dict__.values()) for r in rows]
        try:
            with self.conn:
                cur = self.conn.executemany(f"INSERT OR IGNORE INTO rows VALUES ({','.join('?' * 13)})", data)
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

    def write_manifest(self, run: str, manifest: dict[str, Any]) -> None:
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?)",
                              (run, json.dumps(manifest, sort_keys=True, default=str)))

    def rows_frame(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM rows ORDER BY task, method, metric, sample", self.conn)

    def models_frame(self) -> pd.DataFrame:
        df = pd.read_sql_query("SELECT * FROM models ORDER BY task, model", self.conn)
        metas = [json.loads(m) for m in df["meta"]]
        for key in ("test_accuracy", "n_test", "arch", "image_size", "profile", "device"):
            df[key] = [m.get(key) for m in metas]
        return df

    def timings_frame(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM timings", self.conn)

    def manifests(self) -> dict[str, dict[str, Any]]:
        return {r: json.loads(m) for r, m in self.conn.execute("SELECT run, manifest FROM runs ORDER BY run")}
