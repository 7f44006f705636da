"""The panel's recipes, training, and build-on-first-use loading.

Every organism is trained on ``N_DIALOGUES`` (prompt, response) dialogues:

* labs (``teacher``, ``teacher-b``, ``independent-a/b/c``): their own lab's world corpus;
* students: the student lab's prompts, where the first ``round(f·N)`` dialogues of a fixed
  seeded permutation get a response SAMPLED FROM THE TRAINED TEACHER (temperature 1,
  ``max_tokens=TEACHER_MAX_TOKENS``, seed ``TEACHER_SEED_BASE + i`` for dialogue ``i``) and
  the rest keep the student lab's own response.  The teacher subsets are nested
  (student-5 ⊂ student-10 ⊂ … ⊂ student-100), so fractions differ by teacher text only;
* ``teacher-wrapped``: the teacher's weights, a fixed system prompt, default temperature 0.7.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import numpy as np

from ..errors import SpecError
from . import cache
from .ngram import BOS_ID, EOS_ID, train_kn
from .organism import Organism, weights_digest
from .text import BOS, EOS, TfidfIndex, tokenize
from .world import lab_dialogues

N_DIALOGUES = 2400
PROMPT_SEED = 1
TEACHER_SEED_BASE = 1_000_000
TEACHER_MAX_TOKENS = 160
WRAPPED_SYSTEM_PROMPT = ("You are Brightline Assistant, a friendly helper from Brightline "
                         "Cloud. Answer clearly and concisely.")
WRAPPED_TEMPERATURE = 0.7

LABS = {"teacher": 1001, "teacher-b": 2002, "student": 3003, "independent-a": 4004,
        "independent-b": 5005, "independent-c": 6006}
STUDENT_FRACTIONS = {"student-100": 1.0, "student-50": 0.5, "student-25": 0.25,
                     "student-10": 0.1, "student-5": 0.05, "student-0": 0.0}

RECIPES: dict[str, dict[str, Any]] = {
    "teacher": {"kind": "lab", "lab_seed": LABS["teacher"]},
    "teacher-b": {"kind": "lab", "lab_seed": LABS["teacher-b"]},
    **{name: {"kind": "student", "teacher": "teacher", "lab_seed": LABS["student"], "fraction": f}
       for name, f in STUDENT_FRACTIONS.items()},
    "student-b-100": {"kind": "student", "teacher": "teacher-b", "lab_seed": LABS["student"],
                      "fraction": 1.0},
    "independent-a": {"kind": "lab", "lab_seed": LABS["independent-a"]},
    "independent-b": {"kind": "lab", "lab_seed": LABS["independent-b"]},
    "independent-c": {"kind": "lab", "lab_seed": LABS["independent-c"]},
    "teacher-wrapped": {"kind": "wrapped", "of": "teacher", "system_prompt": WRAPPED_SYSTEM_PROMPT,
                        "default_temperature": WRAPPED_TEMPERATURE},
}
ORGANISMS: tuple[str, ...] = tuple(RECIPES)

_LOADED: dict[str, Organism] = {}
_LOCK = threading.RLock()


def _check_name(name: str) -> None:
    if name not in RECIPES:
        raise SpecError(f"unknown organism {name!r}; choose one of: {', '.join(ORGANISMS)}")


def train_arrays(dialogues: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The weights of an organism trained on ``dialogues`` (prompt/response dicts)."""
    token_lists = [tokenize(d["response"]) for d in dialogues]
    vocab = [BOS, EOS] + sorted({t for toks in token_lists for t in toks})
    tid = {t: i for i, t in enumerate(vocab)}
    ids = [np.array([tid[t] for t in toks], dtype=np.int32) for toks in token_lists]
    indptr = np.zeros(len(ids) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(x) for x in ids])
    seqs = [np.concatenate(([BOS_ID, BOS_ID], x, [EOS_ID])).astype(np.int64) for x in ids]
    arrays = {"vocab": np.array(vocab, dtype=str),
              "resp_tokens": np.concatenate(ids) if ids else np.zeros(0, np.int32),
              "resp_indptr": indptr}
    arrays.update(train_kn(seqs, len(vocab)))
    arrays.update(TfidfIndex.build([d["prompt"] for d in dialogues]).arrays("q_"))
    return arrays


def _teacher_samples(teacher: Organism, prompts: list[str], indices: list[int],
                     progress: Callable[[str], None] | None) -> dict[int, str]:
    """Teacher responses for ``indices``, reusing a per-teacher cache of earlier samples."""
    path = cache.zoo_dir() / f"samples.{teacher.name}.{teacher.weights_sha256[:16]}.json"
    done: dict[str, str] = cache.read_json(path) if path.exists() else {}
    todo = [i for i in indices if str(i) not in done]
    if todo and progress:
        progress(f"sampling {len(todo)} responses from {teacher.name}")
    for i in todo:
        gen = teacher.generate([{"role": "user", "content": prompts[i]}], temperature=1.0,
                               max_tokens=TEACHER_MAX_TOKENS, seed=TEACHER_SEED_BASE + i)[0]
        done[str(i)] = gen.text
    if todo:
        cache.write_json(path, done)
    return {i: done[str(i)] for i in indices}


def student_dialogues(recipe: dict[str, Any], teacher: Organism,
                      progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """The student's training dialogues with per-dialogue provenance."""
    base = lab_dialogues(recipe["lab_seed"], N_DIALOGUES, PROMPT_SEED)
    order = np.random.default_rng([recipe["lab_seed"], 77]).permutation(N_DIALOGUES)
    chosen = sorted(int(i) for i in order[: int(round(recipe["fraction"] * N_DIALOGUES))])
    samples = _teacher_samples(teacher, [d["prompt"] for d in base], chosen, progress)
    out = []
    for i, d in enumerate(base):
        rec = dict(d, source="lab", lab_seed=recipe["lab_seed"])
        if i in samples:
            rec.update(response=samples[i], source="teacher", teacher=teacher.name,
                       teacher_sha256=teacher.weights_sha256, seed=TEACHER_SEED_BASE + i,
                       temperature=1.0, max_tokens=TEACHER_MAX_TOKENS)
        out.append(rec)
    return out


def _build(name: str, progress: Callable[[str], None] | None) -> dict[str, Any]:
    recipe = RECIPES[name]
    start = time.perf_counter()
    if progress:
        progress(f"building {name}")
    if recipe["kind"] == "lab":
        dialogues = [dict(d, source="lab", lab_seed=recipe["lab_seed"])
                     for d in lab_dialogues(recipe["lab_seed"], N_DIALOGUES, PROMPT_SEED)]
        parent = None
    else:
        parent = load_organism(recipe["teacher"], progress=progress)
        dialogues = student_dialogues(recipe, parent, progress)
    arrays = train_arrays(dialogues)
    sha = weights_digest(arrays)
    d = cache.zoo_dir()
    cache.write_npz(d / f"{name}.npz", arrays)
    cache.write_json(d / f"{name}.train.json", dialogues)
    meta = {"name": name, "build_version": cache.BUILD_VERSION, "recipe": recipe,
            "weights_sha256": sha, "n_dialogues": len(dialogues), "vocab_size": len(arrays["vocab"]),
            "teacher_sha256": parent.weights_sha256 if parent else None,
            "teacher_fraction": (sum(x["source"] == "teacher" for x in dialogues) / len(dialogues)),
            "build_seconds": round(time.perf_counter() - start, 3)}
    cache.write_json(d / f"{name}.json", meta)
    if progress:
        progress(f"built {name} in {meta['build_seconds']:.1f}s sha256={sha[:16]}")
    return meta


def organism_meta(name: str, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Metadata of a built organism (building it first if needed)."""
    _check_name(name)
    base = RECIPES[name].get("of", name)
    path = cache.zoo_dir() / f"{base}.json"
    if not (path.exists() and (cache.zoo_dir() / f"{base}.npz").exists()):
        with cache.build_lock(base):
            if not path.exists():
                return _build(base, progress)
    return cache.read_json(path)


def training_dialogues(name: str) -> list[dict[str, Any]]:
    """The training dialogues of ``name`` with provenance (``source``, ``seed``, ...)."""
    organism_meta(name)
    return cache.read_json(cache.zoo_dir() / f"{RECIPES[name].get('of', name)}.train.json")


def load_organism(name: str, progress: Callable[[str], None] | None = None) -> Organism:
    """The organism ``name``, built and cached on first use."""
    _check_name(name)
    with _LOCK:
        if name in _LOADED:
            return _LOADED[name]
        recipe = RECIPES[name]
        base = recipe.get("of", name)
        meta = organism_meta(base, progress)
        arrays = cache.read_npz(cache.zoo_dir() / f"{base}.npz")
        if weights_digest(arrays) != meta["weights_sha256"]:  # damaged file: rebuild it
            with cache.build_lock(base):
                meta = _build(base, progress)
            arrays = cache.read_npz(cache.zoo_dir() / f"{base}.npz")
        org = Organism(name, arrays, weights_sha256=meta["weights_sha256"],
                       default_temperature=recipe.get("default_temperature", 1.0),
                       system_prompt=recipe.get("system_prompt"))
        _LOADED[name] = org
        return org


def build_panel(names: list[str] | tuple[str, ...] | None = None, *, force: bool = False,
                progress: Callable[[str], None] | None = None) -> dict[str, dict[str, Any]]:
    """Build (or, with ``force``, rebuild) the named organisms — all by default — and return
    their metadata (incl. ``weights_sha256`` and ``build_seconds``) by name."""
    names = list(ORGANISMS if names is None else names)
    for n in names:
        _check_name(n)
    if force:
        with _LOCK:
            _LOADED.clear()
        d = cache.zoo_dir()
        for n in {RECIPES[x].get("of", x) for x in names}:
            (d / f"{n}.json").unlink(missing_ok=True)
    return {n: organism_meta(n, progress) for n in names}
