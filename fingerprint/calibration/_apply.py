"""From evidence to a probability of distillation that means what it says.

A calibration map is versioned data (``fingerprint/data/calibration-*.json`` or a file made by
``fingerprint calibrate``): a logistic model on a few well-understood evidence statistics,
fitted on pairs of known lineage, with its out-of-sample error.  The map gives P(distilled)
at the calibration set's base rate; the likelihood ratio it implies lets a user restate the
probability under their own prior (Bayes' rule on the odds).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from dataclasses import replace
from typing import Any

from ..analysis import Analysis, Calibrated, CalibrationInfo, Evidence, Verdict, final_verdict
from ..errors import CalibrationError
from ._metrics import label_for
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


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


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


def posterior(likelihood_ratio: float, prior: float) -> float:
    """Bayes' rule on the odds: posterior odds = likelihood ratio × prior odds."""
    if not 0 < prior < 1:
        raise CalibrationError("a prior must lie strictly between 0 and 1")
    odds = likelihood_ratio * prior / (1.0 - prior)
    return odds / (1.0 + odds) if math.isfinite(odds) else 1.0


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


def apply_calibration(evidence: Evidence | dict[str, Any], *,
                      calibration_file: str | None = None, prior: float | None = None,
                      has_controls: bool = True) -> Calibrated:
    """What the map says about this evidence: the probability at the stated prior, the
    likelihood ratio, and the label the calibrated thresholds give."""
    if isinstance(evidence, Evidence):
        evidence = evidence.as_dict()
    full, sha, name = load_calibration(calibration_file)
    cmap = select_segment(full, evidence)
    base_rate = float(cmap["base_rate"])
    eta = calibrated_log_odds(evidence, cmap)
    p_base = _sigmoid(eta)
    log_lr = eta - _logit(base_rate)
    lr = math.exp(min(log_lr, 700.0))
    used_prior = base_rate if prior is None else float(prior)
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
    out = Calibrated(
        probability=posterior(lr, used_prior), probability_at_base_rate=p_base,
        likelihood_ratio=lr, log10_likelihood_ratio=log_lr / math.log(10), prior=used_prior,
        prior_source="calibration base rate" if prior is None else "user (--prior)",
        calibration=info, label_from_calibration=label_for(p_base, cmap.get("thresholds")),
        missing_evidence=tuple(missing_features(evidence, cmap)),
        calibration_note="; ".join(n for n in notes if n) or None)
    if not has_controls:
        # Without controls there is no distillation evidence: the likelihood ratio is 1 and
        # the probability stays at the prior.
        out = replace(out, probability=used_prior, probability_at_base_rate=base_rate,
                      likelihood_ratio=1.0, log10_likelihood_ratio=0.0,
                      probability_note="no control models: there is no distillation test, so "
                                       "the probability is only the prior; only the "
                                       "same-model question was tested",
                      label_from_calibration="inconclusive")
    return out


def calibrated_verdict(analysis: Analysis, *, has_controls: bool,
                       calibration_file: str | None = None,
                       prior: float | None = None) -> Verdict:
    """The verdict a report states: the analysis' test-based verdict and the calibrated
    probability, combined into the final label (the one place this sequence is written)."""
    calibrated = apply_calibration(analysis.result.evidence, calibration_file=calibration_file,
                                   prior=prior, has_controls=has_controls)
    return final_verdict(analysis.test_verdict, calibrated, has_controls=has_controls)
