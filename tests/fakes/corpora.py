"""Small corpora for tests: a slice of the real AlpacaEval corpus, and a synthetic corpus of
known lineage (teachers, their students, independents, controls)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from .paths import CORPORA


def alpaca_slice(tmp_path: Path, models: list[str], n_prompts: int) -> Path:
    """Copy the first n prompts of a few real AlpacaEval models into tmp_path."""
    src = CORPORA / "alpaca_eval" / "results"
    if not src.is_dir():
        pytest.skip("shared AlpacaEval corpus not available")
    for m in models:
        data = json.loads((src / m / "model_outputs.json").read_text(encoding="utf-8"))
        data.sort(key=lambda r: r["instruction"])
        out = tmp_path / "results" / m
        out.mkdir(parents=True)
        (out / "model_outputs.json").write_text(json.dumps(data[:n_prompts], indent=1))
    return tmp_path


WORDS = [f"w{i}" for i in range(400)]


def _answer(rng, weights, n=30):
    return " ".join(rng.choice(WORDS, size=n, p=weights))


def write_lineage_corpus(path: Path, n_prompts: int = 40) -> None:
    """Teachers T1, T2 with their own word habits per prompt; students copy 60 % of their
    teacher's words on each prompt; independents and controls draw from their own habits."""
    rng = np.random.default_rng(11)
    labs = ["T1", "T2", "I1", "I2", "I3", "C1", "C2", "C3", "C4", "C5", "C6"]
    habit = {m: rng.dirichlet(np.full(len(WORDS), 0.3)) for m in labs + ["S1", "S2", "S3"]}
    lines = []
    for p in range(n_prompts):
        topic = rng.dirichlet(np.full(len(WORDS), 0.3))
        texts = {m: _answer(rng, 0.5 * habit[m] + 0.5 * topic) for m in labs}
        for s, teacher in (("S1", "T1"), ("S2", "T1"), ("S3", "T2")):
            own = _answer(rng, 0.5 * habit[s] + 0.5 * topic).split()
            copied = texts[teacher].split()
            texts[s] = " ".join(c if rng.random() < 0.6 else o for c, o in zip(copied, own))
        for m, t in texts.items():
            lines.append(json.dumps({"model": m, "prompt_id": f"q{p}", "prompt": f"question {p}",
                                     "response": t}))
    path.write_text("\n".join(lines) + "\n")


PAIRS = [
    {"reference": "T1", "suspect": "S1", "label": "teacher_student"},
    {"reference": "T1", "suspect": "S2", "label": "teacher_student"},
    {"reference": "T2", "suspect": "S3", "label": "distilled"},
    {"reference": "T1", "suspect": "I1", "label": "independent"},
    {"reference": "T2", "suspect": "I2", "label": "independent"},
    {"reference": "T1", "suspect": "S3", "label": "independent"},
    {"reference": "T2", "suspect": "I3", "label": "independent"},
]
