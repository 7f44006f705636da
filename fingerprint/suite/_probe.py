"""The probe model: :class:`Probe`, :class:`Suite` and the validation of one probe's fields.

The suite's content hash covers the canonical JSON of every probe, so a one-character edit
changes it.  Every loader (YAML files, tabular sources, a run folder's ``suite.json``) builds
probes through :func:`probe_from_dict`, so one set of rules decides what a valid probe is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import SuiteError

ANSWER_TYPES = ("free_text", "choice", "identity", "canary")
#: How a ``choice`` answer is read; see :func:`fingerprint.features.extract.normalize_choice`.
NORMALIZERS = ("number", "word", "letter", "coin", "color", "name", "city", "animal")
ANSWER_FIELDS = {
    "free_text": {"type"},
    "identity": {"type"},
    "choice": {"type", "normalizer", "options"},
    "canary": {"type", "expected"},
}
PROBE_FIELDS = {"id", "family", "version", "rationale", "messages", "temperature", "max_tokens",
                "top_p", "samples", "answer", "lang"}
SUITE_FIELDS = {"id", "version", "description", "exclude"}
FILE_FIELDS = {"suite", "probes"}


@dataclass(frozen=True)
class Probe:
    id: str
    family: str
    version: int
    rationale: str
    messages: tuple[dict[str, str], ...]
    temperature: float = 1.0
    max_tokens: int = 48
    top_p: float = 1.0
    samples: int | None = None
    answer: dict[str, Any] = field(default_factory=lambda: {"type": "free_text"})
    lang: str | None = None

    @property
    def answer_type(self) -> str:
        return self.answer.get("type", "free_text")

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id, "family": self.family, "version": self.version,
            "rationale": self.rationale, "messages": [dict(m) for m in self.messages],
            "temperature": self.temperature, "max_tokens": self.max_tokens, "top_p": self.top_p,
            "samples": self.samples, "answer": self.answer,
        }
        if self.lang is not None:
            out["lang"] = self.lang
        return out


@dataclass(frozen=True)
class Suite:
    id: str
    version: str
    probes: tuple[Probe, ...]
    source: str

    @property
    def sha256(self) -> str:
        body = {"id": self.id, "version": self.version,
                "probes": [p.to_json() for p in sorted(self.probes, key=lambda p: p.id)]}
        blob = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def families(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self.probes:
            counts[p.family] = counts.get(p.family, 0) + 1
        return dict(sorted(counts.items()))

    def get(self, probe_id: str) -> Probe:
        for p in self.probes:
            if p.id == probe_id:
                return p
        raise SuiteError(f"suite {self.id} has no probe {probe_id!r}; "
                         "run `fingerprint probes list` to see the ids")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256,
                "source": self.source, "probes": len(self.probes)}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_answer(answer: Any, label: str, problems: list[str]) -> dict[str, Any]:
    if isinstance(answer, str):
        answer = {"type": answer}
    if not isinstance(answer, dict) or answer.get("type") not in ANSWER_TYPES:
        problems.append(f"{label}: 'answer.type' must be one of {', '.join(ANSWER_TYPES)}")
        return {"type": "free_text"}
    kind = answer["type"]
    unknown = sorted(set(answer) - ANSWER_FIELDS[kind])
    if unknown:
        problems.append(f"{label}: unknown answer field(s) {', '.join(unknown)} for type {kind} "
                        f"(allowed: {', '.join(sorted(ANSWER_FIELDS[kind]))})")
    if kind == "choice":
        if answer.get("normalizer") not in NORMALIZERS:
            problems.append(f"{label}: a choice probe needs 'answer.normalizer', one of "
                            f"{', '.join(NORMALIZERS)}")
        options = answer.get("options")
        if options is not None and (not isinstance(options, list) or not options or not all(
                isinstance(o, (str, int)) and not isinstance(o, bool) and str(o).strip()
                for o in options)):
            problems.append(f"{label}: 'answer.options' must be a non-empty list of strings")
        elif options is not None and len({str(o).casefold() for o in options}) != len(options):
            problems.append(f"{label}: 'answer.options' holds duplicates")
    if kind == "canary":
        expected = answer.get("expected")
        alternatives = expected if isinstance(expected, list) else [expected]
        if not alternatives or not all(isinstance(e, str) and e.strip() for e in alternatives):
            problems.append(f"{label}: a canary probe needs 'answer.expected' (a non-empty string "
                            "or list of strings)")
    return dict(answer)


def probe_from_dict(raw: Any, where: str, problems: list[str]) -> Probe | None:
    """Validate one probe mapping; append one line per problem to ``problems``."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: a probe must be a mapping, got {type(raw).__name__}")
        return None
    pid = raw.get("id")
    label = f"{where}: probe {pid!r}"
    if not isinstance(pid, str) or not pid.strip():
        problems.append(f"{where}: probe without an 'id' (add a unique string id)")
        return None
    unknown = sorted(set(raw) - PROBE_FIELDS)
    if unknown:
        problems.append(f"{label}: unknown field(s) {', '.join(unknown)} "
                        f"(allowed: {', '.join(sorted(PROBE_FIELDS))})")
    for name in ("family", "rationale"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            problems.append(f"{label}: missing '{name}' (a non-empty string)")
    version = raw.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(f"{label}: 'version' must be a positive integer")
        version = 1
    messages = raw.get("messages")
    if not isinstance(messages, list) or not messages:
        problems.append(f"{label}: 'messages' is empty or missing (add at least one user message)")
        messages = []
    clean_messages = []
    for i, m in enumerate(messages):
        if (not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant")
                or not isinstance(m.get("content"), str) or not m["content"].strip()):
            problems.append(f"{label}: message {i} needs a role (system/user/assistant) "
                            "and non-empty content")
            continue
        extra = sorted(set(m) - {"role", "content"})
        if extra:
            problems.append(f"{label}: message {i} has unknown field(s) {', '.join(extra)}")
        clean_messages.append({"role": m["role"], "content": m["content"]})
    if clean_messages and clean_messages[-1]["role"] != "user":
        problems.append(f"{label}: the last message must be a user message")
    temperature = raw.get("temperature", 1.0)
    if not _is_number(temperature) or not 0 <= temperature <= 2:
        problems.append(f"{label}: 'temperature' must be a number in [0, 2]")
        temperature = 1.0
    top_p = raw.get("top_p", 1.0)
    if not _is_number(top_p) or not 0 < top_p <= 1:
        problems.append(f"{label}: 'top_p' must be a number in (0, 1]")
        top_p = 1.0
    max_tokens = raw.get("max_tokens", 48)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= 4096:
        problems.append(f"{label}: 'max_tokens' must be an integer in [1, 4096]")
        max_tokens = 48
    samples = raw.get("samples")
    if samples is not None and (not isinstance(samples, int) or isinstance(samples, bool)
                                or not 1 <= samples <= 10000):
        problems.append(f"{label}: 'samples' must be an integer in [1, 10000] (or left out)")
        samples = None
    lang = raw.get("lang")
    if lang is not None and (not isinstance(lang, str) or not lang.strip()):
        problems.append(f"{label}: 'lang' must be a language tag such as 'en' or 'zh'")
        lang = None
    answer = _check_answer(raw.get("answer", {"type": "free_text"}), label, problems)
    return Probe(id=pid, family=str(raw.get("family", "")), version=int(version),
                 rationale=str(raw.get("rationale", "")), messages=tuple(clean_messages),
                 temperature=float(temperature), max_tokens=int(max_tokens),
                 top_p=float(top_p), samples=samples, answer=answer, lang=lang)

def dedupe(probes: list[Probe], origins: list[str], problems: list[str]) -> list[Probe]:
    """Drop repeated ids, with one problem line naming both places."""
    seen: dict[str, str] = {}
    out = []
    for probe, where in zip(probes, origins):
        if probe.id in seen:
            problems.append(f"{where}: probe {probe.id!r}: duplicate id (also in {seen[probe.id]}); "
                            "give each probe a unique id")
            continue
        seen[probe.id] = where
        out.append(probe)
    return out
