"""From evidence to a probability of distillation that means what it says.

A calibration map is versioned data (``fingerprint/data/calibration-*.json`` or a file made by
``fingerprint calibrate``): a logistic model on a few well-understood evidence statistics,
fitted on pairs of known lineage, with its out-of-sample error and its held-out validation
scores.  The map's score orders runs; the likelihood ratio a report states is read off the
validation scores (:mod:`._evaluation`), and the posterior only at a stated prior.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Sequence

from ..analysis import (Analysis, Calibrated, CalibrationInfo, Evaluation, Evidence, Flag, Verdict,
                        final_verdict)
from ..errors import CalibrationError
from ._evaluation import LR_THRESHOLD, evaluate
from ._flags import (beyond_validation, clipped_features, design_flags, in_calibration_set,
                     lineage_flags)
from ._relations import relation
from ._segments import SEGMENT_TEXT, segment_of

DEFAULT_CALIBRATION = Path(__file__).resolve().parents[1] / "data" / "calibration-v1.json"


def load_calibration(path: str | Path | None = None) -> tuple[dict[str, Any], str, str]:
    """Return (map, sha256 of the file, file name)."""
    file = Path(path) if path else DEFAULT_CALIBRATION
    try:
        raw = file.read_bytes()
        data = json.loads(raw)
    except FileNotFoundError:
        raise CalibrationError(f"calibration file {file} does not exist; make one with "
                               "`fingerprint calibrate --pairs PAIRS.json`") from None
    except ValueError:
        raise CalibrationError(f"calibration file {file} is not valid JSON") from None
    for key in ("version", "features", "coefficients", "intercept", "base_rate"):
        if key not in data:
            raise CalibrationError(f"calibration file {file} lacks '{key}'; regenerate it with "
                                   "`fingerprint calibrate`")
    return data, hashlib.sha256(raw).hexdigest(), file.name


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


def missing_features(evidence: dict[str, Any], cmap: dict[str, Any]) -> list[str]:
    """Features of the map the evidence does not hold as a number."""
    return [name for name in cmap["features"] if _number(evidence.get(name)) is None]


def calibrated_log_odds(evidence: dict[str, Any], cmap: dict[str, Any]) -> float:
    """Linear predictor of the logistic map.  Inputs are clipped to the training range (the
    map knows nothing beyond it); a missing feature counts as its training mean."""
    total = float(cmap["intercept"])
    scale = cmap.get("standardize", {})
    for name in cmap["features"]:
        value = _number(evidence.get(name))
        mean, sd = scale.get(name, [0.0, 1.0])
        x = (value - mean) / sd if value is not None else 0.0
        lo, hi = cmap.get("clip", {}).get(name, [-math.inf, math.inf])
        total += float(cmap["coefficients"][name]) * min(max(x, lo), hi)
    return total


def _metrics_digest(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    """The map's out-of-sample metrics without the per-kind detail (the report needs the
    error, the bin counts and the reliability tables)."""
    if not metrics:
        return metrics
    return {k: v for k, v in metrics.items() if k != "by_kind"}


# When a map has no segment for a run's kind, the nearest kind it has, in this order.
_FALLBACK = {"single_sample_wide": ("single_sample",), "single_sample": ("single_sample_wide",),
             "multi_sample": ()}


def select_segment(cmap: dict[str, Any], evidence: dict[str, Any]) -> dict[str, Any]:
    """The part of a map for this kind of run (several answers per probe, or one answer per
    prompt with a small or a wide control panel), else the nearest part it has."""
    segments = cmap.get("segments") or {}
    seg = segment_of(evidence)
    for name in (seg, *_FALLBACK[seg]):
        if name in segments:
            return dict(cmap, **segments[name])
    return dict(cmap)


def _trained_on_text(cmap: dict[str, Any]) -> str | None:
    """What the map was fitted on, in words (the renderer prints it on one line)."""
    t = cmap.get("trained_on")
    if isinstance(t, dict):
        return (f"{t.get('pairs')} pairs of known lineage, {t.get('cases')} cases "
                f"({t.get('description')})")
    return t


def _headline_error(metrics: dict[str, Any] | None) -> dict[str, Any]:
    """Out-of-sample ECE (with its bin counts) and Brier score over all held-out pairs."""
    overall = (metrics or {}).get("overall") or {}
    return {"ece": overall.get("ece"), "ece_bins": overall.get("ece_bins"),
            "bin_counts": overall.get("bin_counts"), "brier": overall.get("brier"),
            "cv_scheme": (metrics or {}).get("scheme")}


def _panel_note(cmap: dict[str, Any], evidence: dict[str, Any]) -> str | None:
    """A note when the run has fewer controls than any case the map was fitted on: statistics
    standardised against a small panel are noisier, so the probability is less reliable."""
    trained_on = cmap.get("trained_on")
    fitted = trained_on.get("controls_per_case") if isinstance(trained_on, dict) else None
    k = _number(evidence.get("n_controls"))
    if not fitted or k is None or k <= 0 or k >= fitted[0]:
        return None
    sizes = f"{fitted[0]}" if fitted[0] == fitted[1] else f"{fitted[0]}–{fitted[1]}"
    return (f"this run has {int(k)} control models; the calibration was fitted on panels of "
            f"{sizes}, so its probability is less reliable here "
            "(add controls, or calibrate on panels like yours with `fingerprint calibrate`)")


def _design_text(cmap: dict[str, Any], evidence: dict[str, Any]) -> str:
    seg = cmap.get("segment") or segment_of(evidence)
    trained_on = cmap.get("trained_on")
    what = trained_on.get("description") if isinstance(trained_on, dict) else trained_on
    panels = trained_on.get("controls_per_case") if isinstance(trained_on, dict) else None
    text = f"{SEGMENT_TEXT.get(seg, seg)}: {what}"
    if panels:
        text += (f"; {panels[0]} controls per case" if panels[0] == panels[1]
                 else f"; {panels[0]}–{panels[1]} controls per case")
    return text


def apply_calibration(evidence: Evidence | dict[str, Any], *,
                      calibration_file: str | None = None, prior: float | None = None,
                      has_controls: bool = True, models: Sequence[str] = (),
                      lineage_facts: dict[str, Any] | None = None) -> Calibrated:
    """What the map and its validation cases say about this evidence: the map's score, the
    likelihood ratio for Hp against Hd1 with its bounds and error rates, the posterior at the
    stated prior (an even prior unless ``prior`` is given), and the flags.

    ``models`` are the specs of the reference, the suspect and the controls, in that order;
    with ``lineage_facts`` (a validated ``--lineage`` file) they give the lineage relation."""
    if isinstance(evidence, Evidence):
        evidence = evidence.as_dict()
    if prior is not None and not 0 < prior < 1:
        raise CalibrationError("a prior must lie strictly between 0 and 1")
    full, sha, name = load_calibration(calibration_file)
    cmap = select_segment(full, evidence)
    p_base = _sigmoid(calibrated_log_odds(evidence, cmap))
    error = _headline_error(cmap.get("metrics"))
    info = CalibrationInfo(
        name=full.get("name", name), version=full["version"], file=name,
        segment=cmap.get("segment"), sha256=sha, trained_on=_trained_on_text(cmap),
        ece=error["ece"], ece_bins=error["ece_bins"],
        bin_counts=tuple(error["bin_counts"]) if error["bin_counts"] is not None else None,
        brier=error["brier"], cv_scheme=error["cv_scheme"],
        metrics=_metrics_digest(cmap.get("metrics")), thresholds=cmap.get("thresholds"),
        plain_summary=cmap.get("plain_summary"))
    notes = []
    fitted_on = cmap.get("segment")
    if fitted_on and fitted_on != segment_of(evidence):
        notes.append(f"this calibration was fitted on {SEGMENT_TEXT[fitted_on]} "
                     f"only; this run is one of {SEGMENT_TEXT[segment_of(evidence)]}")
    notes.append(_panel_note(cmap, evidence))
    note = "; ".join(n for n in notes if n) or None
    lineage = relation(models[0], models[1], models[2:], lineage_facts) if len(models) >= 2 else None
    flags = [*clipped_features(evidence, cmap), *beyond_validation(p_base, cmap),
             *in_calibration_set(models, cmap), *design_flags(evidence, cmap),
             *lineage_flags(lineage)]
    if note:
        flags.append(Flag("calibration_design", note))
    evaluation = evaluate(p_base, cmap, prior=prior, design=_design_text(cmap, evidence),
                          flags=flags if has_controls else lineage_flags(lineage),
                          lineage=lineage, has_controls=has_controls)
    lower, upper = evaluation.likelihood_ratio_lower, evaluation.likelihood_ratio_upper
    label = ("distilled" if lower >= LR_THRESHOLD else
             "independent" if upper is not None and upper < 1.0 else "inconclusive")
    return Calibrated(
        probability=evaluation.posterior, probability_at_base_rate=p_base,
        likelihood_ratio=evaluation.likelihood_ratio,
        log10_likelihood_ratio=evaluation.log10_likelihood_ratio, prior=evaluation.prior,
        prior_source=evaluation.prior_source, calibration=info,
        label_from_calibration=label if has_controls else "inconclusive",
        missing_evidence=tuple(missing_features(evidence, cmap)), calibration_note=note,
        probability_note=None if has_controls else (
            "no control models: there is no distillation test, so the likelihood ratio is 1 "
            "and the probability is only the prior; only the same-model question was tested"),
        evaluation=evaluation)


def calibrated_verdict(analysis: Analysis, *, has_controls: bool,
                       calibration_file: str | None = None, prior: float | None = None,
                       models: Sequence[str] = (),
                       lineage_facts: dict[str, Any] | None = None
                       ) -> tuple[Verdict, Evaluation | None]:
    """The verdict a report states and the evaluation behind it: the analysis' test-based
    verdict and the calibrated evaluation, combined into the final label (the one place this
    sequence is written)."""
    calibrated = apply_calibration(analysis.result.evidence, calibration_file=calibration_file,
                                   prior=prior, has_controls=has_controls, models=models,
                                   lineage_facts=lineage_facts)
    return (final_verdict(analysis.test_verdict, calibrated, has_controls=has_controls),
            calibrated.evaluation)
