"""Building a calibration map from labelled cases: the fitted map, its out-of-sample error,
its thresholds and the summary a report prints; one map per segment in one file."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import CalibrationError
from . import _metrics as cm
from ._fit import DEFAULT_RIDGE, Case, cross_validated, feature_matrix, fit_map
from ..stats.roc import roc_auc
from ._metrics import choose_thresholds, label_for
from ._segments import SEGMENT_FIELDS, SEGMENT_TEXT, segment_of


def _by_kind(cases: Sequence[Case], p: np.ndarray, thresholds: dict[str, Any]) -> dict[str, Any]:
    """Per kind of pair (e.g. student-5, independent): cases, mean out-of-sample P, labels."""
    out: dict[str, Any] = {}
    for kind in sorted({c.kind for c in cases}):
        idx = [i for i, c in enumerate(cases) if c.kind == kind]
        labels = [label_for(float(p[i]), thresholds) for i in idx]
        out[kind] = {"cases": len(idx), "label": cases[idx[0]].label,
                     "mean_probability": float(np.mean(p[idx])),
                     "called_distilled": labels.count("distilled"),
                     "called_independent": labels.count("independent")}
    return out


def _design(cases: Sequence[Case]) -> dict[str, list[float]]:
    """The range of prompts, controls and answers per probe over the fitted cases."""
    out = {}
    for key in ("n_probes", "n_controls", "samples_per_probe"):
        values = [c.evidence.get(key) for c in cases]
        values = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if values:
            out[key] = [min(values), max(values)]
    return out


def _sources_text(counts: dict[str, tuple[int, int]]) -> str:
    return "; ".join(f"{src}: {n_pairs} pairs, {n_cases} cases"
                     for src, (n_pairs, n_cases) in sorted(counts.items()))


def plain_summary(cmap: dict[str, Any]) -> str:
    """One paragraph a report can print: what the probability is calibrated on, its error,
    and how the report's label uses its thresholds (``analysis.final_verdict``)."""
    m, t = cmap["metrics"], cmap["thresholds"]
    per = "; ".join(f"{src} ECE {v['ece']:.3f} (n={v['n']})"
                    for src, v in sorted(m.get("by_source", {}).items()))
    noise = "; ".join(f"{v['ece_if_calibrated']['mean']:.3f} for {src}"
                      for src, v in sorted(m.get("by_source", {}).items())
                      if v.get("ece_if_calibrated"))
    d, i = t["distilled"], t["independent"]
    return (f"P(distilled) is calibrated on {cmap['trained_on']['pairs']} pairs of known lineage "
            f"({cmap['trained_on']['description']}), at their base rate of "
            f"{cmap['base_rate']:.2f}. Held out by pair ({m['scheme']}), its expected calibration "
            f"error is {m['overall']['ece']:.3f} over 10 bins ({per}"
            + (f"; a perfectly calibrated map would show about {noise} on these few pairs"
               if noise else "") +
            f") and its Brier score {m['overall']['brier']:.3f}. A 'distilled' label needs the "
            f"test to reject and P >= {d['probability']:.3g} ({d['false_positives']} of "
            f"{d['negatives']} held-out non-distilled cases reached it); without a rejection, "
            f"P below that reads 'independent'. At P <= {i['probability']:.3g} distilled pairs "
            f"were rare ({i['false_negatives']} of {i['positives']} held-out distilled cases).")


def build_map(cases: Sequence[Case], features: Sequence[str], *, name: str, version: str,
              seed: int = 0, ridge: float = DEFAULT_RIDGE, method_note: str = "",
              extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fit the map on every labelled case and measure its error out of sample.

    Cases with ``label`` None (same-model pairs) are not fitted; their probabilities under
    the final map are reported apart (the same-model answer comes from the equality test)."""
    fit_cases = [c for c in cases if c.label in (0, 1)]
    held = [c for c in cases if c.label not in (0, 1)]
    if not fit_cases:
        raise CalibrationError("no labelled (distilled / independent) pairs to calibrate on")
    x = feature_matrix(fit_cases, features)
    y = np.array([c.label for c in fit_cases], float)
    groups = [c.pair for c in fit_cases]
    rng = np.random.default_rng(seed)
    oos, scheme = cross_validated(x, y, groups, features, ridge=ridge, rng=rng)
    final = fit_map(x, y, features, ridge=ridge)
    thresholds = choose_thresholds(oos, y)
    sources = sorted({c.source for c in fit_cases})
    by_source = {}
    counts: dict[str, tuple[int, int]] = {}
    noise_rng = np.random.default_rng([seed, 1])
    for src in sources:
        idx = [i for i, c in enumerate(fit_cases) if c.source == src]
        by_source[src] = cm.summarize(oos[idx], y[idx])
        by_source[src]["ece_if_calibrated"] = cm.ece_if_calibrated(
            oos[idx], y[idx], [groups[i] for i in idx], rng=noise_rng)
        counts[src] = (len({fit_cases[i].pair for i in idx}), len(idx))
    pairs: dict[str, dict[str, Any]] = {}
    for c in cases:
        entry = pairs.setdefault(c.pair, {"pair": c.pair, "source": c.source, "kind": c.kind,
                                          "label": {1: "distilled", 0: "not distilled"}.get(
                                              c.label, "same model (not fitted)"), "cases": 0})
        entry["cases"] += 1
    lineage = [c for c in held if c.kind == "shared_lineage"]
    held = [c for c in held if c.kind != "shared_lineage"]
    same = {}
    if held:
        p_same = final.probability(feature_matrix(held, features))
        same = {"cases": len(held), "pairs": len({c.pair for c in held}),
                "mean_probability": float(p_same.mean()), "min_probability": float(p_same.min())}
    shared = {}
    if lineage:
        # pairs that share a developer, base or data without distillation (Hd2): scored, not
        # fitted; how well the map tells teacher -> student from them (0.5 = not at all)
        p_shared = final.probability(feature_matrix(lineage, features))
        shared = {"cases": len(lineage), "pairs": len({c.pair for c in lineage}),
                  "mean_probability": float(p_shared.mean()),
                  "auc_teacher_student_vs_shared_lineage": roc_auc(oos[y == 1].tolist(),
                                                                   p_shared.tolist())}
    panels = [c.evidence.get("n_controls") for c in fit_cases]
    panels = [int(k) for k in panels if isinstance(k, (int, float)) and not isinstance(k, bool)]
    cmap: dict[str, Any] = {
        "name": name, "version": version,
        "method": ("logistic regression with non-negative coefficients (monotone in every "
                   f"feature) and ridge penalty {ridge} on standardised features, fitted by "
                   "penalised maximum likelihood (scipy L-BFGS-B); inputs clipped to the "
                   "training range" + (f"; {method_note}" if method_note else "")),
        **final.to_json(),
        "seed": seed,
        "trained_on": {"pairs": len({c.pair for c in fit_cases}), "cases": len(fit_cases),
                       "distilled_cases": int(y.sum()), "description": _sources_text(counts),
                       "list": sorted(pairs.values(), key=lambda e: (e["source"], e["pair"])),
                       # control-panel sizes of the fitted cases: a run with a smaller panel
                       # gets a calibration_note (its statistics are noisier than the map's)
                       "controls_per_case": [min(panels), max(panels)] if panels else None,
                       # the validated design: runs outside it get a flag (calibration._flags)
                       "design": _design(fit_cases)},
        "metrics": {"scheme": scheme, "overall": cm.summarize(oos, y), "by_source": by_source,
                    "by_kind": _by_kind(fit_cases, oos, thresholds), "same_model": same,
                    **({"shared_lineage": shared} if shared else {})},
        "thresholds": thresholds,
        "held_out": [[c.pair, int(c.label), round(float(q), 6)] for c, q in zip(fit_cases, oos)],
    }
    cmap.update(extra or {})
    cmap["plain_summary"] = plain_summary(cmap)
    return cmap


def build_calibration(cases: Sequence[Case], features: dict[str, Sequence[str]], *, name: str,
                      version: str, seed: int = 0, ridge: float = DEFAULT_RIDGE,
                      extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One map per kind of run present (multi-sample, single-sample), in one file.

    The top level is the multi-sample map when there is one (so a reader that ignores
    ``segments`` still gets a valid map); ``segments`` holds each; ``apply_calibration`` picks
    by the evidence's ``single_sample`` flag."""
    groups: dict[str, list[Case]] = {}
    for c in cases:
        groups.setdefault(segment_of(c.evidence), []).append(c)
    maps = {seg: dict(build_map(cs, features[seg], name=name, version=version, seed=seed,
                                ridge=ridge), segment=seg) for seg, cs in sorted(groups.items())}
    top = dict(maps.get("multi_sample") or next(iter(maps.values())))
    if len(maps) > 1:
        top["segments"] = {seg: {k: m[k] for k in SEGMENT_FIELDS} for seg, m in maps.items()}
        top["plain_summary"] = " ".join(f"For {SEGMENT_TEXT[seg]}: {m['plain_summary']}"
                                        for seg, m in maps.items())
        top["metrics"] = dict(top["metrics"], by_source={
            src: v for m in maps.values() for src, v in m["metrics"]["by_source"].items()})
    top.update(extra or {})
    return top


def format_metrics(cmap: dict[str, Any]) -> str:
    """The metrics table ``fingerprint calibrate`` prints (every segment)."""
    if cmap.get("segments"):
        return "\n\n".join(f"[{SEGMENT_TEXT[seg]}]\n" + _format_one(dict(cmap, **m))
                           for seg, m in cmap["segments"].items())
    return _format_one(cmap)


def _format_one(cmap: dict[str, Any]) -> str:
    """The metrics table ``fingerprint calibrate`` prints."""
    m, t = cmap["metrics"], cmap["thresholds"]
    coef = ", ".join(f"{f}: {cmap['coefficients'][f]:.3f}" for f in cmap["features"])
    lines = [f"calibration {cmap['name']} v{cmap['version']}: {cmap['trained_on']['pairs']} pairs, "
             f"{cmap['trained_on']['cases']} cases, base rate {cmap['base_rate']:.3f}",
             f"features (standardised coefficients): {coef}",
             f"out-of-sample error ({m['scheme']}):",
             cm.format_summary("all pairs", m["overall"])]
    lines += [cm.format_summary(src, v) for src, v in sorted(m["by_source"].items())]
    d, i = t["distilled"], t["independent"]
    lines.append(f"thresholds: distilled at P >= {d['probability']:.4g} (FPR {d['false_positive_rate']:.3f}"
                 f", {d['false_positives']}/{d['negatives']}, upper95 {d['false_positive_rate_upper95']:.3f};"
                 f" TPR {d['true_positive_rate']:.3f}); independent at P <= {i['probability']:.4g} "
                 f"(FNR {i['false_negative_rate']:.3f}, {i['false_negatives']}/{i['positives']})")
    lines.append("by kind: " + "; ".join(
        f"{k} P̄={v['mean_probability']:.2f} ({v['called_distilled']}/{v['cases']} distilled)"
        for k, v in m["by_kind"].items()))
    if m.get("shared_lineage"):
        sl = m["shared_lineage"]
        lines.append(f"shared-lineage pairs (not fitted): mean P {sl['mean_probability']:.2f} over "
                     f"{sl['cases']} cases; AUC teacher→student vs shared lineage "
                     f"{sl['auc_teacher_student_vs_shared_lineage']:.3f}")
    if m.get("same_model"):
        lines.append(f"same-model pairs (not fitted): mean P {m['same_model']['mean_probability']:.2f}"
                     f" over {m['same_model']['cases']} cases")
    return "\n".join(lines)
