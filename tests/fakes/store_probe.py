"""Reading a store another process is writing: how many samples it holds right now."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def stored_count(db: Path) -> int:
    """Rows in ``samples``; 0 while the file or its table does not exist yet."""
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(db, timeout=5)) as con:
            return int(con.execute("SELECT COUNT(*) FROM samples").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
