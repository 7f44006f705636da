"""``replay/<path-or-dataset>#<model>``: stored answers served as if by a live model.

Two sources can be replayed, never touching the network for the answers themselves:

* a response corpus (:mod:`fingerprint.corpus`): ``replay/PATH#MODEL`` answers each prompt
  with ``MODEL``'s stored answer to the same prompt;
* a stored fingerprint run folder holding ``responses.jsonl``: ``replay/RUN_DIR#SPEC``
  answers with what ``SPEC`` (a full model spec such as ``openai/gpt-4o``) answered in
  that run; ``#reference`` and ``#suspect`` pick the run's reference and suspect.

Prompts are matched on the text of the last user message after whitespace
normalisation.  A prompt the source lacks is a non-retryable :class:`ProviderError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._hashing import files_digest
from ..corpus import Corpus, iter_jsonl, load_corpus, normalize_prompt, source_files
from ..errors import CorpusError, ProviderError, SpecError
from .base import ChatRequest, Completion, Provider
from .spec import ModelSpec

RUN_ROLES = ("reference", "suspect")


def split_replay_model(model: str) -> tuple[str, str]:
    """``"<path>#<model>"`` → (path, model); the last ``#`` splits (paths may hold ``#``)."""
    if "#" not in model:
        raise SpecError(f"replay spec replay/{model} needs '#MODEL' after the corpus path, "
                        "e.g. replay/path/to/corpus#gpt4")
    source, name = model.rsplit("#", 1)
    if not source.strip() or not name.strip():
        raise SpecError(f"replay spec replay/{model}: both the corpus path and the model "
                        "name after '#' must be non-empty")
    return source.strip(), name.strip()


def last_user_text(messages: tuple[dict[str, str], ...] | list[dict[str, Any]]) -> str:
    for m in reversed(list(messages)):
        if m.get("role") == "user":
            return str(m.get("content", ""))
    raise ProviderError("replay: the request has no user message to look up", retryable=False)


def _run_role_spec(run: Path, role: str) -> str | None:
    """The spec the run recorded for ``reference``/``suspect`` (report.json or manifest)."""
    for name in ("report.json", "run.json", "manifest.json"):
        f = run / name
        if not f.is_file():
            continue
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        for holder in (data, data.get("models", {}) if isinstance(data, dict) else {}):
            if isinstance(holder, dict):
                value = holder.get(role)
                if isinstance(value, dict):
                    value = value.get("spec")
                if isinstance(value, str):
                    return value
    return None


def load_run_answers(run: Path, name: str) -> dict[str, list[str]]:
    """Normalised prompt → stored answers (by sample index) of one model of a run folder."""
    path = run / "responses.jsonl"
    rows: list[dict[str, Any]] = [rec for _n, rec in iter_jsonl(path)]
    specs = sorted({str(r.get("model_spec")) for r in rows})
    wanted = name
    if name in RUN_ROLES:
        wanted = _run_role_spec(run, name) or next(
            (str(r["model_spec"]) for r in rows if r.get("role") == name), "")
    if wanted not in specs:
        raise CorpusError(f"run folder {run} has no answers from {name!r}; it holds: "
                          f"{', '.join(specs)} (use replay/{run}#SPEC or #reference/#suspect)")
    table: dict[str, list[tuple[int, str]]] = {}
    for lineno, rec in enumerate(rows, 1):
        if str(rec.get("model_spec")) != wanted:
            continue
        try:
            prompt = last_user_text(rec["request"]["messages"])
            text = rec["response"]["text"]
            index = int(rec.get("sample_index", 0))
        except (KeyError, TypeError, ValueError, ProviderError):
            raise CorpusError(f"{path}:{lineno}: a response line needs request.messages, "
                              "response.text and sample_index") from None
        table.setdefault(normalize_prompt(prompt), []).append((index, str(text)))
    return {k: [t for _i, t in sorted(v)] for k, v in table.items()}


class ReplayProvider(Provider):
    """Serve stored answers of one model of a corpus or of a stored run folder.

    Nothing about the original sampling is known or invented: answers carry no creation
    time, and the runner records no sampling parameters for them (``sends_parameters``).
    Each answer names its source and the SHA-256 of the source's files.
    """

    sends_parameters = False

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.source, self.name = split_replay_model(spec.model)
        path = Path(self.source).expanduser()
        self.corpus: Corpus | None = None
        if path.is_dir() and (path / "responses.jsonl").is_file():
            self._answers = load_run_answers(path, self.name)
        else:
            self.corpus = load_corpus(self.source)
            self.corpus.check_models([self.name])
            table = self.corpus.answers[self.name]
            self._answers = {normalize_prompt(self.corpus.prompts[pid]): list(ans)
                             for pid, ans in table.items() if pid in self.corpus.prompts}
            if not self._answers:
                raise CorpusError(f"corpus {self.source} has no prompt texts to match requests "
                                  "against (a FastChat folder needs its question.jsonl)")
        files = source_files(path / "responses.jsonl" if self.corpus is None else self.source)
        self.source_record = {"files": files, "sha256": files_digest(files)}
        self._cursor: dict[str, int] = {}
        self.max_n = max(len(v) for v in self._answers.values())

    @property
    def endpoint(self) -> str:
        return f"replay:{self.source}"

    @property
    def identity(self) -> dict[str, Any]:
        return {"provider": "replay", "model": self.spec.model, "base_url": None}

    async def complete(self, request: ChatRequest) -> list[Completion]:
        """The next ``request.n`` stored answers for this prompt (successive calls advance)."""
        prompt = normalize_prompt(last_user_text(request.messages))
        stored = self._answers.get(prompt)
        if stored is None:
            raise ProviderError(f"replay/{self.spec.model}: the stored answers hold no answer to "
                                f"the prompt {prompt[:60]!r}; compare over the corpus prompts "
                                "(omit --suite) or choose a suite the corpus answered",
                                retryable=False)
        start = self._cursor.get(prompt, 0)
        if start + request.n > len(stored):
            raise ProviderError(f"replay/{self.spec.model}: only {len(stored)} stored answer(s) "
                                f"to the prompt {prompt[:60]!r}, asked for sample "
                                f"{start + request.n}; use samples ≤ {len(stored)}", retryable=False)
        self._cursor[prompt] = start + request.n
        return [Completion(text=t, finish_reason=None, served_model=self.name,
                           raw_response={"replayed": True, "replay_source": self.source,
                                         "source_sha256": self.source_record["sha256"],
                                         "model": self.name, "sample": start + i})
                for i, t in enumerate(stored[start:start + request.n])]
