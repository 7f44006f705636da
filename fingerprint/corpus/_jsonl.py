"""The plain JSONL layout: one ``{model, prompt_id, prompt, response}`` object per line."""

from __future__ import annotations

from pathlib import Path

from ._prompts import normalize_prompt
from ._io import iter_jsonl
from ..errors import CorpusError

FIELDS = ("model", "prompt_id", "prompt", "response")


def load(path: Path) -> tuple[dict[str, str], dict[str, dict[str, list[str]]]]:
    prompts: dict[str, str] = {}
    answers: dict[str, dict[str, list[str]]] = {}
    for lineno, rec in iter_jsonl(path):
        missing = [f for f in FIELDS if f not in rec]
        if missing:
            raise CorpusError(f"{path}:{lineno}: missing field(s) {', '.join(missing)}; "
                              "each line needs model, prompt_id, prompt and response")
        model, pid, prompt, response = (rec[f] for f in FIELDS)
        if not isinstance(model, str) or not model.strip():
            raise CorpusError(f"{path}:{lineno}: 'model' must be a non-empty string")
        if isinstance(pid, bool) or not isinstance(pid, (str, int)):
            raise CorpusError(f"{path}:{lineno}: 'prompt_id' must be a string or an integer")
        if not isinstance(prompt, str) or not isinstance(response, str):
            raise CorpusError(f"{path}:{lineno}: 'prompt' and 'response' must be strings")
        pid = str(pid)
        known = prompts.setdefault(pid, prompt)
        if normalize_prompt(known) != normalize_prompt(prompt):
            raise CorpusError(f"{path}:{lineno}: prompt_id {pid!r} has a different prompt text "
                              "than on an earlier line; give each distinct prompt its own id")
        answers.setdefault(model, {}).setdefault(pid, []).append(response)
    return prompts, answers
