"""Case information on lineage (proposition Hd2): who built a model, on which base weights,
from which shared data, and so which models are relatives.

Two sources, the second overriding the first model by model: the shipped registry of
well-known families (``fingerprint/data/lineage-registry.json``, sourced entry by entry) and a
case file given with ``--lineage FILE`` (JSON or YAML)::

    models:
      "replay/corpus#alpaca-7b":          # a spec, or a bare model name
        developer: Stanford
        base: LLaMA (1)
        data: [alpaca-52k]
    shared_lineage:                       # pairs known to share a lineage, with the evidence
      - [model-a, model-b, "same post-training data (paper X)"]

Statistics cannot tell a student from a sibling that took the same third-party data, so the
report's ``distilled`` needs both a training link and no known shared lineage; ``related``
says the link was found but shared lineage is not excluded.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import yaml

from ..analysis import LineageRelation, ModelLineage, RelativeInPanel
from ..errors import LineageError

REGISTRY_FILE = Path(__file__).resolve().parents[1] / "data" / "lineage-registry.json"
_FIELDS = ("developer", "base", "data")


@lru_cache(maxsize=1)
def registry() -> dict[str, Any]:
    return json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))


def registry_name() -> str:
    reg = registry()
    return f"{reg['name']} {reg['version']} ({reg['date']})"


def model_name(spec: str) -> str:
    """The part of a spec the registry matches: after '#' (replay), else after the last '/'."""
    name = spec.split("#", 1)[1] if "#" in spec else spec.rsplit("/", 1)[-1]
    return name.split("?", 1)[0].strip().lower()


def _as_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise LineageError(f"{where} must be a string or a list of strings")


def read_lineage_file(path: str | Path) -> dict[str, Any]:
    """The validated facts of a case file, as plain JSON (stored in run.json, so a report can
    be recomputed without the file)."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LineageError(f"lineage file {file} does not exist") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LineageError(f"lineage file {file} cannot be read as JSON or YAML "
                           f"({exc.__class__.__name__}); see docs/report.md#lineage") from None
    return validate_lineage(raw, str(file))


def validate_lineage(raw: Any, where: str = "lineage facts") -> dict[str, Any]:
    if not isinstance(raw, dict) or not set(raw) <= {"models", "shared_lineage"}:
        raise LineageError(f"{where} must be a mapping with 'models' and/or 'shared_lineage' "
                           "(see docs/report.md#lineage)")
    if not isinstance(raw.get("models") or {}, dict):
        raise LineageError(f"{where}: 'models' must map model names to their facts")
    if not isinstance(raw.get("shared_lineage") or [], list):
        raise LineageError(f"{where}: 'shared_lineage' must be a list of [model, model, evidence]")
    models: dict[str, dict[str, list[str]]] = {}
    for name, facts in (raw.get("models") or {}).items():
        if not isinstance(facts, dict) or not set(facts) <= set(_FIELDS):
            raise LineageError(f"{where}: models.{name} must map some of "
                               f"{', '.join(_FIELDS)} to names")
        models[str(name)] = {k: list(_as_tuple(facts.get(k), f"{where}: models.{name}.{k}"))
                             for k in _FIELDS}
    pairs = []
    for i, row in enumerate(raw.get("shared_lineage") or []):
        if not (isinstance(row, list) and len(row) in (2, 3) and all(isinstance(x, str) for x in row)):
            raise LineageError(f"{where}: shared_lineage[{i}] must be [model, model] or "
                               "[model, model, evidence]")
        pairs.append(list(row) + ([] if len(row) == 3 else ["stated in the case file"]))
    return {"models": models, "shared_lineage": pairs}


def facts_digest(facts: dict[str, Any] | None) -> str | None:
    if not facts:
        return None
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def _case_entry(spec: str, facts: dict[str, Any] | None) -> dict[str, list[str]] | None:
    models = (facts or {}).get("models") or {}
    for key in (spec, model_name(spec)):
        for name, entry in models.items():
            if name == key or name.lower() == key:
                return entry
    return None


def _zoo_lineage(spec: str) -> ModelLineage | None:
    """A built-in organism's lineage is its recipe (docs/zoo.md): the lab that built it."""
    from ..zoo import RECIPES

    if not spec.startswith("zoo/"):
        return None
    name = spec[len("zoo/"):].split("?", 1)[0]
    recipe = RECIPES.get(name)
    while recipe is not None and recipe["kind"] == "wrapped":
        recipe = RECIPES.get(recipe["of"])
    if recipe is None:
        return None
    return ModelLineage(model=spec, developer=(f"organism lab {recipe['lab_seed']}",), base=(),
                        data=(), source="zoo recipe")


def lineage_of(spec: str, facts: dict[str, Any] | None = None) -> ModelLineage:
    zoo = _zoo_lineage(spec)
    if zoo is not None and _case_entry(spec, facts) is None:
        return zoo
    name = model_name(spec)
    found: dict[str, list[str]] = {k: [] for k in _FIELDS}
    hit = False
    for entry in registry()["entries"]:
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in entry["patterns"]):
            hit = True
            for k in _FIELDS:
                if entry.get(k) and entry[k] not in found[k]:
                    found[k].append(entry[k])
    case = _case_entry(spec, facts)
    if case is not None:
        found = {k: list(case.get(k) or found[k]) for k in _FIELDS}
    source = {(True, True): "case file and registry", (True, False): "case file",
              (False, True): "registry", (False, False): "none"}[(case is not None, hit)]
    return ModelLineage(model=spec, developer=tuple(found["developer"]),
                        base=tuple(found["base"]), data=tuple(found["data"]), source=source)


def shared_between(a: ModelLineage, b: ModelLineage,
                   facts: dict[str, Any] | None = None) -> tuple[str, ...]:
    """What two models share: a developer, a base-weight family, a data source, or a
    case-file statement."""
    out = [f"{k}: {v}" for k in _FIELDS for v in getattr(a, k) if v in getattr(b, k)]
    names = {a.model, model_name(a.model)}, {b.model, model_name(b.model)}
    for x, y, why in (facts or {}).get("shared_lineage") or []:
        xs, ys = {x, x.lower()}, {y, y.lower()}
        if (xs & names[0] and ys & names[1]) or (xs & names[1] and ys & names[0]):
            out.append(f"case file: {why}")
    return tuple(out)


def related_by_facts(models: Sequence[str], facts: dict[str, Any] | None = None
                     ) -> dict[str, set[str]]:
    """The :func:`related_models` map of ``models`` from the lineage facts (registry and case
    file) instead of labelled pairs: two models are relatives when they share a developer, a
    base-weight family, a data source or a case-file statement."""
    lineages = {m: lineage_of(m, facts) for m in models}
    return {a: {b for b in models if b == a or shared_between(lineages[a], lineages[b], facts)}
            for a in models}


def relation(reference: str, suspect: str, controls: Sequence[str],
             facts: dict[str, Any] | None = None) -> LineageRelation:
    ref, sus = lineage_of(reference, facts), lineage_of(suspect, facts)
    relatives = []
    for control in controls:
        c = lineage_of(control, facts)
        for role, other in (("reference", ref), ("suspect", sus)):
            common = shared_between(c, other, facts)
            if common:
                relatives.append(RelativeInPanel(control=control, relative_of=role, shared=common))
    return LineageRelation(reference=ref, suspect=sus, shared=shared_between(ref, sus, facts),
                           relatives_in_panel=tuple(relatives), registry=registry_name(),
                           case_file=facts_digest(facts))
