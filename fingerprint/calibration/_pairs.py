"""Pairs of known lineage: one reader, one label set, and one rule for which models may
control for a pair.

A pairs file is a JSON list (or ``{"pairs": [...]}``) of objects::

    {"reference": "...", "suspect": "...", "label": "teacher_student" | "distilled"
     | "independent" | "same_model" | "shared_lineage", "controls": [...]?, "kind": "..."?}

``teacher_student`` (alias ``distilled``) pairs are the positives of calibration and
benchmarks, ``independent`` pairs the negatives; ``same_model`` and ``shared_lineage`` pairs
are scored and reported apart (the equality test answers the first; the second is what
lineage facts and designed controls must address, docs/statistics.md).  Names are model
specs (``zoo/teacher``) or, with a corpus, model names of that corpus.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..errors import CalibrationError

#: label → y: 1 distilled, 0 not distilled (fitted as a negative), None scored apart
LABELS: dict[str, int | None] = {"teacher_student": 1, "distilled": 1, "independent": 0,
                                 "same_model": None, "shared_lineage": None}


def read_pairs(path: str | Path) -> list[dict[str, Any]]:
    """The validated pairs of a pairs file (label → ``y`` 1 / 0 / None for same model)."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalibrationError(f"pairs file {file} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"cannot read pairs file {file} ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise CalibrationError(f"pairs file {file} is not valid JSON (line {exc.lineno}: "
                               f"{exc.msg})") from None
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
        if item["reference"] == item["suspect"]:
            raise CalibrationError(f"{where} compares {item['reference']!r} with itself")
        out.append({**item, "y": LABELS[item["label"]],
                    "kind": str(item.get("kind") or item["label"])})
    return out


def pair_id(pair: dict[str, Any]) -> str:
    return f"{pair['reference']} -> {pair['suspect']}"


def related_models(pairs: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Models that share a documented training source with each model, so that neither may
    control for the other: models that have a common ancestor along the documented
    teacher → student edges (the model itself, its teachers, students and siblings, and
    further up and down), with same-model pairs merged into one model; a documented
    shared lineage (same developer, base weights or data source) joins the two models'
    lineages as if they had a common ancestor.

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
        if LABELS.get(p["label"]) == 1:
            parents[node(p["suspect"])].add(node(p["reference"]))
        elif p["label"] == "shared_lineage":  # an unnamed common ancestor of both
            ancestor = f"shared lineage of {node(p['reference'])} and {node(p['suspect'])}"
            parents[node(p["reference"])].add(ancestor)
            parents[node(p["suspect"])].add(ancestor)

    def lineage(m: str) -> set[str]:  # the model and all its documented ancestors
        seen, todo = {m}, [m]
        while todo:
            for q in parents.get(todo.pop(), ()):
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
        return seen

    up = {m: lineage(m) for m in list(parents)}
    out: dict[str, set[str]] = {}
    for p in pairs:
        for m in (p["reference"], p["suspect"]):
            if m not in out:
                mine = up[node(m)]
                out[m] = set().union(*(same(x) for x in parents if up[x] & mine))
    return out


def excluded_controls(pairs: list[dict[str, Any]], reference: str, suspect: str) -> set[str]:
    """Models that must not control for (reference, suspect): the two models and every model
    of either one's documented lineage (:func:`related_models`)."""
    return excluded_by(related_models(pairs), reference, suspect)


def excluded_by(related: dict[str, set[str]], reference: str, suspect: str) -> set[str]:
    """:func:`excluded_controls` from a :func:`related_models` map computed once (the map
    walks every pair, so a loop over pairs should not rebuild it for each)."""
    return ({reference, suspect} | related.get(reference, {reference})
            | related.get(suspect, {suspect}))


def one_per_lineage(models: list[str], related: dict[str, set[str]]) -> list[str]:
    """``models`` thinned so that no two kept are documented relatives: in the given order,
    a model is kept unless it is related to one already kept.  Controls that are relatives of
    each other are not independent draws, and a panel of two lineages standardises a suspect
    of a third against the spread between two clusters (docs/corpora.md, variant 4)."""
    kept: list[str] = []
    for m in models:  # related is symmetric (models sharing a documented ancestor)
        if not related.get(m, {m}) & set(kept):
            kept.append(m)
    return kept


def lineage_groups(models: list[str], related: dict[str, set[str]]) -> list[int]:
    """A group number per model: models connected by documented relations (within
    ``models``) share one, so that a panel can count each lineage once (docs/corpora.md,
    variant 5)."""
    inside, groups = set(models), 0
    number: dict[str, int] = {}
    for m in models:
        if m in number:
            continue
        group, todo = {m}, [m]
        while todo:  # related is symmetric, so following it from each member finds the group
            new = (related.get(todo.pop(), set()) & inside) - group
            group |= new
            todo += new
        number.update(dict.fromkeys(group, groups))
        groups += 1
    return [number[m] for m in models]


def organism_sources(name: str) -> frozenset[str]:
    """The data a built-in organism was trained on, from its recipe (docs/zoo.md): its lab's
    corpus, and for a student the student lab's prompts and responses plus, when its teacher
    fraction is positive, everything its teacher was trained on."""
    from ..zoo import RECIPES

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
    """A seed component derived from a name (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
