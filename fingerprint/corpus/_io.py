"""Shared reading helpers for corpus loaders: JSON / JSONL with file-and-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from ..errors import CorpusError


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot be read as UTF-8 text ({exc.__class__.__name__}); "
                          "check the file is a complete JSON/JSONL download") from None


def read_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg}); the file is "
                          "truncated or corrupt, fetch it again") from None


def array_item_line(path: Path, index: int) -> int:
    """Line (1-based) where item ``index`` of the JSON array in ``path`` starts (error path only)."""
    text = read_text(path)
    dec = json.JSONDecoder()
    pos = text.index("[") + 1
    for i in range(index + 1):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if i == index:
            return text.count("\n", 0, pos) + 1
        _obj, pos = dec.raw_decode(text, pos)
    return text.count("\n", 0, pos) + 1


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for every non-blank line; bad lines raise CorpusError."""
    text = read_text(path)
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{lineno}: invalid JSON ({exc.msg}); fix or remove the "
                              "line (a truncated last line means an interrupted download)") from None
        if not isinstance(obj, dict):
            raise CorpusError(f"{path}:{lineno}: expected a JSON object per line, "
                              f"got {type(obj).__name__}")
        yield lineno, obj
