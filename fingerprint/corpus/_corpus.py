"""Response corpora: many named models' stored answers to the same prompts.

A corpus is read once per process and cached in memory.  Three public layouts are
detected automatically (see ``docs/corpora.md``):

* **AlpacaEval** — ``results/<model>/model_outputs.json``, a JSON array of
  ``{instruction, output, generator, ...}``; prompts are joined on ``instruction``.
* **FastChat** (MT-Bench, Arena-Hard, ...) — a folder of ``<model>.jsonl`` with
  ``question_id`` and ``choices[0].turns``, and ``question.jsonl`` beside it or one folder
  up.  Only the first turn is kept: it is the one every model answered to the same prompt.
* **Plain JSONL** — one file of ``{model, prompt_id, prompt, response}`` lines.

A model is named by its folder (AlpacaEval), its file stem (FastChat) or its ``model``
field (JSONL).  A source that is not a local path is taken as a Hugging Face Hub dataset
id and fetched through ``datasets``/``huggingface_hub`` (see :mod:`._hub`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .._hashing import sha256_file
from ..errors import CorpusError
from . import _alpaca, _fastchat, _jsonl
from ._hub import fetch_hub_files
from ._prompts import normalize_prompt

LAYOUTS = ("alpaca_eval", "fastchat", "jsonl")


@dataclass
class Corpus:
    """Answers of named models to shared prompts.

    ``prompts`` maps prompt id → prompt text (may be empty for a FastChat folder without
    questions); ``answers`` maps model → prompt id → stored answers (usually one).
    """

    source: str
    layout: str
    prompts: dict[str, str]
    answers: dict[str, dict[str, list[str]]]
    _by_text: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_text = {normalize_prompt(t): pid for pid, t in self.prompts.items()}

    @property
    def models(self) -> list[str]:
        return sorted(self.answers)

    def check_models(self, models: list[str] | tuple[str, ...]) -> None:
        """Raise :class:`CorpusError` naming the first model the corpus does not hold."""
        for m in models:
            if m not in self.answers:
                near = [x for x in self.models if m.lower() in x.lower()][:5]
                hint = f" (did you mean: {', '.join(near)}?)" if near else ""
                raise CorpusError(
                    f"corpus {self.source} has no model {m!r}{hint}; it holds: "
                    f"{', '.join(self.models[:12])}{' ...' if len(self.models) > 12 else ''}"
                )

    def shared_prompts(self, models: list[str] | tuple[str, ...] | None = None) -> list[str]:
        """Prompt ids with a non-empty answer from every one of ``models`` (default: all), sorted."""
        models = list(models) if models is not None else self.models
        self.check_models(models)
        if not models:
            return []
        common = None
        for m in models:
            have = {pid for pid, ans in self.answers[m].items() if ans and ans[0].strip()}
            common = have if common is None else common & have
        return sorted(common or ())

    def texts(self, model: str, prompt_ids: list[str]) -> list[str]:
        """The first stored answer of ``model`` to each prompt id, aligned."""
        self.check_models([model])
        table = self.answers[model]
        try:
            return [table[pid][0] for pid in prompt_ids]
        except (KeyError, IndexError) as exc:
            raise CorpusError(f"model {model!r} in corpus {self.source} has no answer to "
                              f"prompt {exc.args[0]!r}; align on shared_prompts()") from None

    def find_prompt(self, text: str) -> str | None:
        """The prompt id whose text equals ``text`` after whitespace normalisation."""
        return self._by_text.get(normalize_prompt(text))


_CACHE: dict[tuple, Corpus] = {}


def _fingerprint_path(path: Path) -> tuple:
    """Cache key: path plus the size and mtime of every file under it (cheap stat walk)."""
    stats = []
    if path.is_file():
        st = path.stat()
        return (str(path), st.st_size, st.st_mtime_ns)
    for root, _dirs, files in os.walk(path):
        for f in files:
            if f.endswith((".json", ".jsonl")):
                st = os.stat(os.path.join(root, f))
                stats.append((f, st.st_size, st.st_mtime_ns))
    return (str(path), len(stats), hash(tuple(sorted(stats))))


def detect_layout(path: Path) -> str:
    """Which layout a local path holds; raise :class:`CorpusError` if none."""
    if path.is_file():
        if path.suffix == ".jsonl":
            return "jsonl"
        raise CorpusError(f"corpus file {path} is not a .jsonl file; pass a JSONL of "
                          "{model, prompt_id, prompt, response} lines or a corpus folder")
    if any(path.glob("results/*/model_outputs.json")) or any(path.glob("*/model_outputs.json")):
        return "alpaca_eval"
    if _fastchat.answer_files(path):
        return "fastchat"
    raise CorpusError(
        f"cannot tell the layout of corpus {path}: expected results/<model>/model_outputs.json "
        "(AlpacaEval), a folder of <model>.jsonl answer files (FastChat), or one JSONL file "
        "of {model, prompt_id, prompt, response} lines"
    )


def load_corpus(source: str | Path) -> Corpus:
    """Load (or fetch from the in-process cache) the corpus at a path or Hub dataset id."""
    text = str(source)
    path = Path(text).expanduser()
    if not path.exists():
        key: tuple = ("hub", text)
        if key not in _CACHE:
            _CACHE[key] = _load_local(fetch_hub_files(text))
        return _CACHE[key]
    path = path.resolve()
    key = _fingerprint_path(path)
    if key not in _CACHE:
        _CACHE[key] = _load_local(path)
    return _CACHE[key]


_FILE_HASHES: dict[tuple, dict[str, str]] = {}


def source_files(source: str | Path) -> dict[str, str]:
    """SHA-256 of every data file a corpus (or run folder) at ``source`` is read from.

    Keys are paths relative to ``source`` (the file's own name for a single file); only
    ``.json``/``.jsonl`` files count, as for the loaders.  A Hub dataset id has no local
    files here: the result is empty.
    """
    path = Path(str(source)).expanduser()
    if not path.exists():
        return {}
    path = path.resolve()
    key = _fingerprint_path(path)
    if key not in _FILE_HASHES:
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl"))
        _FILE_HASHES[key] = {(p.name if p == path else p.relative_to(path).as_posix()):
                             sha256_file(p) for p in files}
    return _FILE_HASHES[key]


def _load_local(path: Path) -> Corpus:
    layout = detect_layout(path)
    if layout == "alpaca_eval":
        prompts, answers = _alpaca.load(path)
    elif layout == "fastchat":
        prompts, answers = _fastchat.load(path)
    else:
        prompts, answers = _jsonl.load(path)
    if not answers:
        raise CorpusError(f"corpus {path} holds no answers")
    return Corpus(source=str(path), layout=layout, prompts=prompts, answers=answers)


def clear_cache() -> None:
    """Forget every corpus parsed so far (tests; long-lived processes)."""
    _CACHE.clear()
