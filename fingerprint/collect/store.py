"""The response store: stdlib sqlite3 (WAL) with JSON columns; no pickle.

One row per sample.  A sample's key is a hash of what identifies it (see :func:`sample_key`)
so repeated samples stay distinct and a rerun resumes instead of paying twice.  Rows for one
request are written in one transaction: a killed process leaves every finished sample stored
and no half-written one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import platformdirs

from .._hashing import canonical_json
from ..errors import StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    key TEXT PRIMARY KEY,
    model_spec TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    base_url TEXT,
    probe_id TEXT NOT NULL,
    probe_version INTEGER NOT NULL,
    sample_index INTEGER NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    stored_at TEXT NOT NULL
);
-- Every analysis made on stored answers (docs/report.md#analysis-log): how many panels
-- were tried on the same suspect answers is itself evidence a reader should see.
CREATE TABLE IF NOT EXISTS analyses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    suspect_answers TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS analyses_by_answers ON analyses (suspect_answers);
"""


def sample_key(identity: dict[str, Any], probe_id: str, probe_version: int,
               logical_request: dict[str, Any], sample_index: int) -> str:
    """Hash of (provider, model, base URL, probe id+version, request minus transport, index)."""
    body = {"model": identity, "probe": [probe_id, probe_version],
            "request": logical_request, "sample_index": sample_index}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def default_cache_dir() -> Path:
    env = os.environ.get("FINGERPRINT_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("fingerprint"))


@dataclass(frozen=True)
class StoredSample:
    key: str
    model_spec: str
    probe_id: str
    probe_version: int
    sample_index: int
    request: dict[str, Any]
    response: dict[str, Any]


class Store:
    """A sqlite-backed map from sample key to (request, response)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_cache_dir() / "store.sqlite"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the response store {self.path} ({exc}); "
                             "set FINGERPRINT_CACHE_DIR or --store to a writable place") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_many(self, keys: Iterable[str]) -> dict[str, StoredSample]:
        keys = list(keys)
        found: dict[str, StoredSample] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT key, model_spec, probe_id, probe_version, sample_index, request, response "
                f"FROM samples WHERE key IN ({marks})", chunk).fetchall()
            for row in rows:
                found[row[0]] = StoredSample(row[0], row[1], row[2], row[3], row[4],
                                             json.loads(row[5]), json.loads(row[6]))
        return found

    def keys_present(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are stored (an index lookup each; no row is decoded)."""
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self._db.execute(
                f"SELECT key FROM samples WHERE key IN ({marks})", chunk))
        return found

    def put_many(self, rows: list[tuple[str, dict[str, Any], StoredSample]], stored_at: str) -> None:
        """Insert ``(key, identity, sample)`` rows in one transaction (all or nothing)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR IGNORE INTO samples VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(key, s.model_spec, ident["provider"], ident["model"], ident.get("base_url"),
                  s.probe_id, s.probe_version, s.sample_index, canonical_json(s.request),
                  canonical_json(s.response), stored_at) for key, ident, s in rows])
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise StoreError(f"cannot write to the response store {self.path} ({exc})") from None

    def log_analysis(self, suspect_answers: str, entry: dict[str, Any]) -> list[dict[str, Any]]:
        """Record one analysis of the suspect answers ``suspect_answers`` (a digest of their
        sample keys); return every analysis of them so far, this one last."""
        try:
            self._db.execute("INSERT INTO analyses (suspect_answers, entry) VALUES (?, ?)",
                             (suspect_answers, canonical_json(entry)))
            rows = self._db.execute("SELECT entry FROM analyses WHERE suspect_answers = ? "
                                    "ORDER BY id", (suspect_answers,)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the response store {self.path} ({exc})") from None
        return [json.loads(r[0]) for r in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM samples").fetchone()[0])
