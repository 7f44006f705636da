"""Flags printed beside the headline: where this run leaves the ground its likelihood ratio
was validated on (docs/report.md#flags).  Each flag has a stable ``code`` and one sentence."""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..analysis import Flag, LineageRelation
from ._relations import model_name

_DESIGN_TEXT = {"n_probes": "prompts", "n_controls": "control models",
                "samples_per_probe": "answers per probe"}


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


def clipped_features(evidence: dict[str, Any], cmap: dict[str, Any]) -> list[Flag]:
    out = []
    scale = cmap.get("standardize", {})
    for name in cmap["features"]:
        value = _num(evidence.get(name))
        lo, hi = cmap.get("clip", {}).get(name, [-math.inf, math.inf])
        mean, sd = scale.get(name, [0.0, 1.0])
        if value is None:
            continue
        x = (value - mean) / sd
        if x < lo or x > hi:
            edge = mean + sd * (hi if x > hi else lo)
            out.append(Flag("clipped", f"the statistic {name} = {value:.3g} lies outside the range "
                                       f"the calibration was fitted on; it was read as {edge:.3g}, "
                                       "the edge of that range, so the likelihood ratio says "
                                       "nothing about how far beyond it the run lies"))
    return out


def beyond_validation(score: float, cmap: dict[str, Any]) -> list[Flag]:
    scores = [float(r[2]) for r in cmap.get("held_out") or []]
    if not scores:
        return []
    lo, hi = min(scores), max(scores)
    if score > hi or score < lo:
        return [Flag("outside_validated_range",
                     f"this run's score {score:.6g} lies outside the scores of every validation "
                     f"case ({lo:.3g} to {hi:.3g}); its likelihood ratio is that of the nearest "
                     "validated cases, not an extrapolation")]
    return []


def in_calibration_set(models: Sequence[str], cmap: dict[str, Any]) -> list[Flag]:
    """The pair, or either model, among the cases the map was fitted on."""
    if len(models) < 2:
        return []
    listed = ((cmap.get("trained_on") or {}).get("list")) or []
    pairs = {tuple(part.strip().lower() for part in e["pair"].split("->")) for e in listed
             if isinstance(e, dict) and "->" in e.get("pair", "")}
    names = [{m.lower(), model_name(m)} for m in models[:2]]
    fitted = {name for pair in pairs for name in pair}
    if any(a in names[0] and b in names[1] for a, b in pairs):
        return [Flag("pair_in_calibration",
                     "this reference–suspect pair is one of the cases the calibration was fitted "
                     "on: its score comes from a map that has seen it, so the likelihood ratio "
                     "is optimistic for this pair (a held-out score is in the map's held_out list)")]
    seen = [role for role, n in zip(("reference", "suspect"), names) if n & fitted]
    if seen:
        return [Flag("model_in_calibration",
                     f"the {' and the '.join(seen)} appear in pairs the calibration was fitted on")]
    return []


def design_flags(evidence: dict[str, Any], cmap: dict[str, Any]) -> list[Flag]:
    design = (cmap.get("trained_on") or {}).get("design") or {}
    out = []
    for key, words in _DESIGN_TEXT.items():
        rng, value = design.get(key), _num(evidence.get(key))
        if not rng or value is None:
            continue
        lo, hi = rng
        if value < lo or value > hi:
            span = f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
            out.append(Flag("design_outside_validation",
                            f"this run has {value:g} {words}; the validation cases had {span}, so "
                            "the measured error rates are for another design"))
    return out


def lineage_flags(lineage: LineageRelation | None) -> list[Flag]:
    if lineage is None:
        return []
    out = []
    if lineage.shared:
        out.append(Flag("shared_lineage",
                        "the reference and the suspect share a lineage (" + "; ".join(lineage.shared)
                        + "): resemblance may come from it rather than from training on the "
                          "reference's outputs (Hd2), which the statistics cannot exclude"))
    unknown = [role for role, m in (("reference", lineage.reference), ("suspect", lineage.suspect))
               if m.source == "none"]
    if unknown:
        out.append(Flag("lineage_unknown",
                        f"nothing is recorded of the {' or the '.join(unknown)}'s lineage (the "
                        "registry has no entry and no --lineage file says): a shared lineage "
                        "is not excluded by case information"))
    if lineage.relatives_in_panel:
        names = sorted({r.control for r in lineage.relatives_in_panel})
        shown = ", ".join(model_name(n) for n in names[:6]) + (
            f" and {len(names) - 6} more" if len(names) > 6 else "")
        out.append(Flag("relatives_in_panel",
                        f"{len(names)} control(s) share a lineage with the reference or the "
                        f"suspect ({shown}): a relative of the suspect among the controls makes "
                        "the test conservative, a relative of the reference makes it harder to "
                        "pass; validation panels excluded documented relatives"))
    return out
