"""Pairs of known lineage for calibration: reading them, and gathering their evidence.

A pairs file is a JSON list (or ``{"pairs": [...]}``) of objects::

    {"reference": "...", "suspect": "...", "label": "teacher_student" | "distilled"
     | "independent" | "same_model", "controls": [...]?, "kind": "..."?}

Without a corpus, ``reference``/``suspect``/``controls`` are model specs (``zoo/teacher``,
``openai/gpt-4o`` ...) compared through the same pipeline as ``fingerprint compare``
(collected into the response store, so a rerun costs nothing).  With a corpus they are
model names of that corpus (e.g. the AlpacaEval ``pairs.json``), scored on its stored
answers with the single-sample analysis.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable

from .calibration_fit import Case
from .errors import CalibrationError

LABELS: dict[str, int | None] = {"teacher_student": 1, "distilled": 1, "independent": 0,
                                 "same_model": None}
LIVE_REPLICATES = 3


def read_pairs(path: str | Path) -> list[dict[str, Any]]:
    """The validated pairs of a pairs file (label → ``y`` 1 / 0 / None for same model)."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalibrationError(f"pairs file {file} does not exist") from None
    except ValueError:
        raise CalibrationError(f"pairs file {file} is not valid JSON") from None
    items = data.get("pairs") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise CalibrationError(f"pairs file {file} must hold a non-empty list of pairs")
    out = []
    for i, item in enumerate(items):
        where = f"pairs file {file}, pair {i + 1}"
        if not isinstance(item, dict):
            raise CalibrationError(f"{where} is not an object with reference, suspect and label")
        for key in ("reference", "suspect", "label"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise CalibrationError(f"{where} lacks '{key}'")
        if item["label"] not in LABELS:
            raise CalibrationError(f"{where} has label {item['label']!r}; use one of "
                                   f"{', '.join(LABELS)}")
        controls = item.get("controls")
        if controls is not None and (not isinstance(controls, list)
                                     or not all(isinstance(c, str) for c in controls)):
            raise CalibrationError(f"{where}: 'controls' must be a list of model names")
        out.append({**item, "y": LABELS[item["label"]],
                    "kind": str(item.get("kind") or item["label"])})
    return out


def pair_id(pair: dict[str, Any]) -> str:
    return f"{pair['reference']} -> {pair['suspect']}"


def run_evidence(run_dir: Path) -> dict[str, Any]:
    """The analysis evidence of a collected run folder, without any calibration applied
    (calibration is what is being fitted)."""
    from .pipeline import analyze_run

    return dict(analyze_run(run_dir)["analysis"].get("evidence") or {})


def live_evidence(reference: str, suspect: str, controls: list[str], *, seed: int,
                  samples: int, suite: str | None, work: Path, store: str | None = None
                  ) -> dict[str, Any]:
    """Run one comparison through the pipeline (collect, then analyse the run folder)."""
    from . import runfolder
    from .pipeline import RunRequest, collect_run, roles_for

    out = work / runfolder.run_id({"r": reference, "s": suspect, "c": controls, "seed": seed,
                                   "n": samples, "suite": suite})
    request = RunRequest(models=roles_for(reference, suspect, controls), suite_path=suite,
                         samples=samples, seed=seed, out=out, store_path=store, progress=False,
                         command="fingerprint calibrate")
    collect_run(request)
    return run_evidence(out)


def live_cases(pairs: list[dict[str, Any]], *, seed: int, replicates: int = LIVE_REPLICATES,
               samples: int = 10, suite: str | None = None, store: str | None = None,
               source: str = "live", log: Callable[[str], None] | None = None) -> list[Case]:
    """Every pair compared ``replicates`` times (seeds seed, seed+1, ...) through the pipeline."""
    cases = []
    with tempfile.TemporaryDirectory(prefix="fingerprint-calibrate-") as tmp:
        for pair in pairs:
            controls = list(pair.get("controls") or [])
            if not controls:
                raise CalibrationError(f"pair {pair_id(pair)} has no controls: calibration of the "
                                       "distillation test needs independent control models")
            for r in range(replicates):
                evidence = live_evidence(pair["reference"], pair["suspect"], controls,
                                         seed=seed + r, samples=int(pair.get("samples", samples)),
                                         suite=pair.get("suite", suite), work=Path(tmp), store=store)
                cases.append(Case(pair=pair_id(pair), label=pair["y"], evidence=evidence,
                                  source=pair.get("source", source), kind=pair["kind"],
                                  info={"controls": controls, "seed": seed + r}))
                if log:
                    log(f"{pair_id(pair)} seed {seed + r}: " + json.dumps(
                        {k: v for k, v in evidence.items() if isinstance(v, (int, float))}))
    return cases


CORPUS_PROMPTS = (100, 200, 400, 800)
CORPUS_REPLICATES = 8
CORPUS_CONTROLS = 5


def _related(pairs: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Models that share a documented training source with each model, so that neither may
    control for the other: models that have a common ancestor along the documented
    teacher → student edges (the model itself, its teachers, students and siblings, and
    further up and down), with same-model pairs merged into one model.

    A control must be independent of both the reference and the suspect: a control related
    to the reference (its student, a sibling of the suspect) hides a real distillation, and
    one related to the suspect (its teacher, a sibling) is closer to it for reasons unrelated
    to the reference, which the suspect-centred comparison then counts against it."""
    twins: dict[str, set[str]] = {}
    for p in pairs:
        if p["label"] == "same_model":
            group = twins.get(p["reference"], {p["reference"]}) | twins.get(p["suspect"], {p["suspect"]})
            for m in group:
                twins[m] = group
    same = lambda m: twins.get(m, {m})  # noqa: E731
    node = lambda m: min(same(m))  # noqa: E731  (one name per same-model group)
    parents: dict[str, set[str]] = {}
    for p in pairs:
        parents.setdefault(node(p["reference"]), set())
        parents.setdefault(node(p["suspect"]), set())
        if p["y"] == 1:
            parents[node(p["suspect"])].add(node(p["reference"]))

    def lineage(m: str) -> set[str]:  # the model and all its documented ancestors
        seen, todo = {m}, [m]
        while todo:
            for q in parents.get(todo.pop(), ()):
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
        return seen

    up = {m: lineage(m) for m in parents}
    out: dict[str, set[str]] = {}
    for p in pairs:
        for m in (p["reference"], p["suspect"]):
            if m not in out:
                mine = up[node(m)]
                out[m] = set().union(*(same(x) for x in parents if up[x] & mine))
    return out


def organism_sources(name: str) -> frozenset[str]:
    """The data a built-in organism was trained on, from its recipe (docs/zoo.md): its lab's
    corpus, and for a student the student lab's prompts and responses plus, when its teacher
    fraction is positive, everything its teacher was trained on."""
    from .zoo import RECIPES

    recipe = RECIPES[name]
    if recipe["kind"] == "wrapped":
        return organism_sources(recipe["of"])
    own = frozenset({f"lab {recipe['lab_seed']}"})
    if recipe["kind"] == "student" and recipe["fraction"] > 0:
        return own | organism_sources(recipe["teacher"])
    return own


def unrelated_organisms(reference: str, suspect: str, pool: list[str]) -> list[str]:
    """The organisms of ``pool`` that share no training source with either model: the only
    ones that may control for the pair."""
    related = organism_sources(reference) | organism_sources(suspect)
    return [c for c in pool
            if c not in {reference, suspect} and not organism_sources(c) & related]


def stable_int(text: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def corpus_cases(corpus: str, pairs: list[dict[str, Any]], *, seed: int,
                 replicates: int = CORPUS_REPLICATES, prompt_counts: tuple[int, ...] = CORPUS_PROMPTS,
                 n_controls: int | None = CORPUS_CONTROLS, source: str = "corpus",
                 log: Callable[[str], None] | None = None) -> list[Case]:
    """Cases of corpus pairs, one answer per prompt, analysed as ``compare`` analyses replayed
    corpus models.  Replicate r draws a control panel of ``n_controls`` models (None: every
    eligible model) that share no
    documented training source with the reference or the suspect (``_related``; unless the
    pair lists its own controls) and a random subset of
    ``prompt_counts[r % len]`` shared prompts, so the map sees the range of panel and suite
    sizes it will meet."""
    import numpy as np

    from .analysis import ResponseSet, analyze
    from .corpus import load_corpus
    from .suite import Probe

    data = load_corpus(corpus)
    related = _related(pairs)
    cases = []
    for pair in pairs:
        ref, sus = pair["reference"], pair["suspect"]
        data.check_models([ref, sus] + list(pair.get("controls") or []))
        banned = related.get(ref, {ref}) | related.get(sus, {sus}) | {ref, sus}
        pool = list(pair.get("controls") or [m for m in data.models if m not in banned])
        if not pool:
            raise CalibrationError(f"pair {pair_id(pair)} has no eligible control in {corpus}")
        rng = np.random.default_rng([seed, stable_int(pair_id(pair))])
        for r in range(replicates):
            size = len(pool) if n_controls is None else min(n_controls, len(pool))
            controls = sorted(rng.choice(pool, size=size, replace=False).tolist()) \
                if not pair.get("controls") else pool
            shared = data.shared_prompts([ref, sus, *controls])
            size = min(prompt_counts[r % len(prompt_counts)], len(shared))
            ids = sorted(rng.choice(shared, size=size, replace=False).tolist())
            probes = tuple(Probe(id=pid, family="corpus", version=1, rationale="corpus prompt",
                                 messages=({"role": "user", "content": data.prompts.get(pid, "")},))
                           for pid in ids)
            one = lambda m: {pid: [t] for pid, t in zip(ids, data.texts(m, ids))}  # noqa: E731
            rs = ResponseSet(probes=probes, reference=one(ref), suspect=one(sus),
                             controls=tuple(one(c) for c in controls), control_names=tuple(controls))
            evidence = dict(analyze(rs, seed=seed + r).get("evidence") or {})
            cases.append(Case(pair=pair_id(pair), label=pair["y"], evidence=evidence,
                              source=pair.get("source", source), kind=pair["kind"],
                              info={"controls": controls, "prompts": size, "replicate": r}))
            if log:
                log(f"{pair_id(pair)} r{r} n={size}: t_min={evidence.get('distill_t_min')} "
                    f"eff={evidence.get('effect_standardized')}")
    return cases
