"""The AlpacaEval layout: ``results/<model>/model_outputs.json`` arrays, joined on instruction."""

from __future__ import annotations

from pathlib import Path

from ._prompts import prompt_hash
from ._io import array_item_line, read_json
from ..errors import CorpusError


def output_files(root: Path) -> list[Path]:
    files = sorted(root.glob("results/*/model_outputs.json"))
    return files or sorted(root.glob("*/model_outputs.json"))


def load(root: Path) -> tuple[dict[str, str], dict[str, dict[str, list[str]]]]:
    """Prompts keyed by a hash of the instruction; one model per results folder."""
    prompts: dict[str, str] = {}
    answers: dict[str, dict[str, list[str]]] = {}
    for path in output_files(root):
        model = path.parent.name
        data = read_json(path)
        if not isinstance(data, list):
            raise CorpusError(f"{path}:1: expected a JSON array of "
                              "{instruction, output, generator} objects")
        table: dict[str, list[str]] = {}
        for i, rec in enumerate(data):
            if (not isinstance(rec, dict) or not isinstance(rec.get("instruction"), str)
                    or not isinstance(rec.get("output"), str)):
                line = array_item_line(path, i)
                raise CorpusError(f"{path}:{line}: item {i} needs string 'instruction' and "
                                  "'output' fields (AlpacaEval model_outputs.json layout)")
            pid = prompt_hash(rec["instruction"])
            prompts.setdefault(pid, rec["instruction"])
            table.setdefault(pid, []).append(rec["output"])
        answers[model] = table
    return prompts, answers
