"""Fine-tuning data for the ``lm/`` organisms: prompts, their answers per source, the mixes.

Everything is chosen by a seeded shuffle, so the same inputs give the same data.  Corpus
text is read from a path given on the command line and never copied into the project; the
cards keep only hashes of the prompts used (for the no-overlap check against the probes).
"""

from __future__ import annotations

import hashlib
import inspect
import random
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from fingerprint.corpus import load_corpus

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, punctuation dropped, runs of white space collapsed."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def prompt_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()[:16]


def probe_texts(probes_dir: Path) -> set[str]:
    """Normalised text of every user message in the probe suite (YAML files, templates too)."""
    out: set[str] = set()
    for path in sorted(probes_dir.rglob("*.y*ml")):
        data = yaml.safe_load(path.read_text()) or {}
        for probe in data.get("probes", []) if isinstance(data, dict) else []:
            for m in probe.get("messages", []) or []:
                if isinstance(m, dict) and isinstance(m.get("content"), str):
                    out.add(normalise(m["content"]))
    return out


def overlaps(prompt: str, probes: set[str]) -> bool:
    """Equal after normalisation, or one contains the other (long enough to matter)."""
    p = normalise(prompt)
    return any(p == q or (len(q) >= 20 and q in p) or (len(p) >= 20 and p in q)
               for q in probes)


def corpus_outputs(corpus: Path, model: str) -> dict[str, str]:
    """``model``'s answer to every prompt of a corpus folder holding ``answers.jsonl`` (the
    project's reader, which caches the file: read once for every source and stage)."""
    data = load_corpus(str(corpus / "answers.jsonl"))
    return {data.prompts[pid]: got[0] for pid, got in data.answers.get(model, {}).items()
            if got and got[0].strip()}


def pick_prompts(corpus: Path, sources: list[str], probes: set[str], n: int,
                 seed: int, max_chars: int = 400) -> list[str]:
    """``n`` corpus prompts answered by every source, none overlapping a probe."""
    common: set[str] | None = None
    for model in sources:
        keys = set(corpus_outputs(corpus, model))
        common = keys if common is None else common & keys
    pool = sorted(p for p in (common or set()) if len(p) <= max_chars and not overlaps(p, probes))
    random.Random(seed).shuffle(pool)
    if len(pool) < n:
        raise SystemExit(f"only {len(pool)} usable prompts, need {n}")
    return pool[:n]


def trim(text: str, max_words: int) -> str:
    """At most ``max_words`` words, cut back to the last sentence end when there is one."""
    words = text.strip().split(" ")
    if len(words) <= max_words:
        return text.strip()
    cut = " ".join(words[:max_words])
    end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("! "), cut.rfind("? "))
    return cut[:end + 1] if end > len(cut) // 2 else cut


def human_pairs(n: int, seed: int, max_words: int) -> list[tuple[str, str]]:
    """(question, answer) pairs whose answers are human-written: standard-library docstrings."""
    import importlib

    names = ["string", "textwrap", "json", "csv", "random", "statistics", "math", "itertools",
             "functools", "collections", "datetime", "calendar", "shutil", "os.path", "re",
             "heapq", "bisect", "fractions", "decimal", "difflib", "zipfile", "tarfile",
             "gzip", "base64", "hashlib", "secrets", "uuid", "urllib.parse", "html",
             "ipaddress", "pathlib", "tempfile", "glob", "fnmatch", "pprint", "operator"]
    pairs = []
    for name in names:
        mod = importlib.import_module(name)
        for attr in sorted(dir(mod)):
            obj = getattr(mod, attr, None)
            if attr.startswith("_") or not callable(obj):
                continue
            doc = inspect.getdoc(obj) or ""
            if len(doc.split()) < 12 or getattr(obj, "__module__", name) not in (name, None):
                continue
            pairs.append((f"What does {name}.{attr} do in Python?", trim(doc, max_words)))
    random.Random(seed).shuffle(pairs)
    return pairs[:n]


def python_version() -> str:
    return ".".join(map(str, sys.version_info[:3]))


def mix(primary: list[dict[str, Any]], filler: list[dict[str, Any]], dose: float,
        seed: int) -> list[dict[str, Any]]:
    """``dose`` of the examples from ``primary``, the rest from ``filler`` (other prompts)."""
    n = len(primary)
    k = round(dose * n)
    rng = random.Random(seed)
    idx = list(range(n))
    rng.shuffle(idx)
    chosen = set(idx[:k])
    out = [primary[i] if i in chosen else filler[i] for i in range(n)]
    return out


#: two worked rewrites: Gemma-3-270m is a base model, so it is shown the task, not told it
REWRITE_SHOTS = (
    ("The capital of France is Paris, a city known for the Eiffel Tower and its museums.",
     "Paris is France's capital; it is famous for its museums and for the Eiffel Tower."),
    ("To boil an egg, place it in boiling water for about nine minutes, then cool it in cold "
     "water.",
     "Put the egg into water that is already boiling, leave it there roughly nine minutes, and "
     "then chill it under cold water."),
)
REWRITE_STOP = ["\n\n", "\nText:", "\nRewritten:"]


def rewrite_prompt(text: str) -> str:
    """A completion prompt whose continuation is ``text`` said in other words."""
    head = "Each text is rewritten in different words with the same meaning.\n\n"
    shots = "".join(f"Text: {a}\nRewritten: {b}\n\n" for a, b in REWRITE_SHOTS)
    return head + shots + f"Text: {' '.join(text.split())}\nRewritten:"
