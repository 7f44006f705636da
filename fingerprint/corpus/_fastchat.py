"""The FastChat layout (MT-Bench, Arena-Hard, ...): ``<model>.jsonl`` answer files.

Each answer line is ``{"question_id", "model_id", "choices": [{"turns": [...]}], ...}``; a
turn is a plain string (MT-Bench) or ``{"content", "token_len"}`` (Arena-Hard).  Questions
are in ``question.jsonl`` beside the answers or one folder up, ``{"question_id", "turns"}``.
Ids may be integers or hex strings; they are compared as strings.  Only the first turn is
read: later turns answer follow-ups that depend on each model's own first answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._io import iter_jsonl
from ..errors import CorpusError

QUESTION_FILES = ("question.jsonl", "questions.jsonl")


def _is_answer_file(path: Path) -> bool:
    if path.name in QUESTION_FILES or path.suffix != ".jsonl":
        return False
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    return '"question_id"' in line and '"choices"' in line
    except (OSError, UnicodeDecodeError):
        return False
    return False


def answer_files(root: Path) -> list[Path]:
    """``<model>.jsonl`` files in ``root`` or in its ``model_answer``/``model_answers`` folder."""
    for folder in (root, root / "model_answer", root / "model_answers"):
        if folder.is_dir():
            files = [p for p in sorted(folder.glob("*.jsonl")) if _is_answer_file(p)]
            if files:
                return files
    return []


def _turn_text(turn: Any) -> str | None:
    if isinstance(turn, str):
        return turn
    if isinstance(turn, dict) and isinstance(turn.get("content"), str):
        return turn["content"]
    return None


def _qid(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value) == "":
        return None
    return str(value)


def question_file(answer_dir: Path, root: Path) -> Path | None:
    for folder in (answer_dir, answer_dir.parent, root):
        for name in QUESTION_FILES:
            if (folder / name).is_file():
                return folder / name
    return None


def load_questions(path: Path) -> dict[str, str]:
    prompts: dict[str, str] = {}
    for lineno, rec in iter_jsonl(path):
        qid = _qid(rec.get("question_id"))
        turns = rec.get("turns")
        if turns is None and isinstance(rec.get("prompt"), str):  # Arena-Hard v2 style
            turns = [rec["prompt"]]
        first = _turn_text(turns[0]) if isinstance(turns, list) and turns else None
        if qid is None or first is None:
            raise CorpusError(f"{path}:{lineno}: a question needs 'question_id' (int or string) "
                              "and 'turns' (strings or {\"content\": ...} objects)")
        prompts[qid] = first
    return prompts


def load(root: Path) -> tuple[dict[str, str], dict[str, dict[str, list[str]]]]:
    files = answer_files(root)
    answers: dict[str, dict[str, list[str]]] = {}
    for path in files:
        table: dict[str, list[str]] = {}
        for lineno, rec in iter_jsonl(path):
            qid = _qid(rec.get("question_id"))
            choices = rec.get("choices")
            if qid is None:
                raise CorpusError(f"{path}:{lineno}: missing or invalid 'question_id' "
                                  "(an integer or a string)")
            if not isinstance(choices, list) or not choices:
                raise CorpusError(f"{path}:{lineno}: 'choices' must be a non-empty list of "
                                  "{\"turns\": [...]} objects")
            for choice in choices:
                turns = choice.get("turns") if isinstance(choice, dict) else None
                first = _turn_text(turns[0]) if isinstance(turns, list) and turns else None
                if first is None:
                    raise CorpusError(f"{path}:{lineno}: 'choices[].turns' must be a non-empty "
                                      "list of strings or {\"content\": ...} objects")
                table.setdefault(qid, []).append(first)
        answers[path.stem] = table
    qfile = question_file(files[0].parent, root) if files else None
    prompts = load_questions(qfile) if qfile is not None else {}
    return prompts, answers
