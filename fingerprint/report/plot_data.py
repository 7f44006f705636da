"""Read ``analysis.plot_data`` in either of its shapes into one canonical form for plotting.

Two shapes are accepted, so a report renders whichever way the analysis wrote it:

* keyed by name: ``family_similarity: {family: {reference, suspect, controls}}``,
  ``null_distribution: {values, observed, statistic}``,
  ``answer_map: {points: [[x, y]], labels}``,
  ``choice_counts: {probe_id: {model label: {answer: count}}}``;
* as lists: ``family_similarity: [{family, reference_self, suspect, controls}]``,
  ``null_distribution: {null, observed, statistic, null_method}``,
  ``projection: {probe_id, method, points: [{x, y, model}]}``,
  ``choice_counts: [{probe_id, categories, counts: [[per category] per model]}]``
  with models in the order reference, suspect, control 1, control 2, ...

Model labels come out as ``reference``, ``suspect`` and ``control N``.
"""

from __future__ import annotations

from typing import Any


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _control_specs(report: dict[str, Any]) -> list[str]:
    return [str((c or {}).get("spec", "")) for c in (report.get("models") or {}).get("controls") or []]


def model_label(name: Any, control_names: list[str]) -> str:
    """``reference``, ``suspect``, ``control N`` for a model name as the analysis wrote it."""
    s = str(name)
    if s in ("reference", "suspect") or s.startswith("control "):
        return s
    if s in control_names:
        return f"control {control_names.index(s) + 1}"
    return s


def _family_similarity(raw: Any) -> dict[str, dict[str, Any]]:
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items() if isinstance(v, dict)}
    out: dict[str, dict[str, Any]] = {}
    for row in raw or []:
        if isinstance(row, dict) and row.get("family") is not None:
            ref = row.get("reference", row.get("reference_self"))
            out[str(row["family"])] = {"reference": _num(ref), "suspect": _num(row.get("suspect")),
                                       "controls": [_num(c) for c in row.get("controls") or []]}
    return out


def _null(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    values = [v for v in (raw.get("values") or raw.get("null") or []) if _num(v) is not None]
    if not values:
        return {}
    return {"values": values, "observed": _num(raw.get("observed")),
            "statistic": raw.get("statistic") or "test statistic",
            "method": raw.get("null_method") or raw.get("method") or ""}


def _answer_map(raw: Any, control_names: list[str]) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw.get("points"):
        return {}
    points: list[list[float]] = []
    labels: list[str] = []
    given = list(raw.get("labels") or [])
    for i, pt in enumerate(raw["points"]):
        if isinstance(pt, dict):
            xy, lab = (pt.get("x"), pt.get("y")), pt.get("model", pt.get("label"))
        elif isinstance(pt, (list, tuple)) and len(pt) >= 2:
            xy, lab = (pt[0], pt[1]), given[i] if i < len(given) else "?"
        else:
            continue
        if _num(xy[0]) is None or _num(xy[1]) is None:
            continue
        points.append([float(xy[0]), float(xy[1])])
        labels.append(model_label(lab, control_names))
    method = raw.get("method") or "2-D projection of answer embeddings"
    if raw.get("probe_id"):
        method = f"{method}, probe {raw['probe_id']}"
    return {"points": points, "labels": labels, "method": method} if points else {}


def _position_label(i: int) -> str:
    return "reference" if i == 0 else "suspect" if i == 1 else f"control {i - 1}"


def _choice_counts(raw: Any, control_names: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    if isinstance(raw, dict):
        for pid, per_model in raw.items():
            if isinstance(per_model, dict):
                out[str(pid)] = {model_label(m, control_names): {str(a): float(c) for a, c in (d or {}).items()
                                                                 if _num(c) is not None}
                                 for m, d in per_model.items() if isinstance(d, dict)}
        return {k: v for k, v in out.items() if v}
    for item in raw or []:
        if not isinstance(item, dict) or item.get("probe_id") is None:
            continue
        cats = [str(c) for c in item.get("categories") or []]
        per_model = {}
        for i, row in enumerate(item.get("counts") or []):
            per_model[_position_label(i)] = {c: float(n) for c, n in zip(cats, row or []) if _num(n)}
        if per_model:
            out[str(item["probe_id"])] = per_model
    return out


def canonical_plot_data(report: dict[str, Any]) -> dict[str, Any]:
    """``analysis.plot_data`` as ``family_similarity``, ``null_distribution``,
    ``answer_map`` and ``choice_counts`` in the keyed shape; empty parts are ``{}``."""
    raw = ((report.get("analysis") or {}).get("plot_data")) or {}
    controls = _control_specs(report)
    fam_rows = raw.get("family_similarity")
    if isinstance(fam_rows, list):
        for row in fam_rows:
            if isinstance(row, dict) and row.get("control_names"):
                controls = [str(c) for c in row["control_names"]]
                break
    return {
        "family_similarity": _family_similarity(fam_rows),
        "null_distribution": _null(raw.get("null_distribution")),
        "answer_map": _answer_map(raw.get("answer_map") or raw.get("projection"), controls),
        "choice_counts": _choice_counts(raw.get("choice_counts"), controls),
    }
