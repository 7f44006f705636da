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
from typing import Any

from .errors import CalibrationError

DEFAULT_CALIBRATION = Path(__file__).resolve().parent / "data" / "calibration-v1.json"


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


def calibrated_log_odds(evidence: dict[str, Any], cmap: dict[str, Any]) -> float:
    """Linear predictor of the logistic map (missing features count as their training mean)."""
    total = float(cmap["intercept"])
    scale = cmap.get("standardize", {})
    for name in cmap["features"]:
        value = evidence.get(name)
        mean, sd = scale.get(name, [0.0, 1.0])
        x = (float(value) - mean) / sd if isinstance(value, (int, float)) else 0.0
        lo, hi = cmap.get("clip", {}).get(name, [-math.inf, math.inf])
        total += float(cmap["coefficients"][name]) * min(max(x, lo), hi)
    return total


def posterior(likelihood_ratio: float, prior: float) -> float:
    """Bayes' rule on the odds: posterior odds = likelihood ratio × prior odds."""
    if not 0 < prior < 1:
        raise CalibrationError("a prior must lie strictly between 0 and 1")
    odds = likelihood_ratio * prior / (1.0 - prior)
    return odds / (1.0 + odds) if math.isfinite(odds) else 1.0


def apply_calibration(evidence: dict[str, Any], verdict: dict[str, Any], *,
                      calibration_file: str | None = None, prior: float | None = None,
                      has_controls: bool = True) -> dict[str, Any]:
    """The probability fields of ``verdict`` (and the label the calibrated thresholds give)."""
    cmap, sha, name = load_calibration(calibration_file)
    base_rate = float(cmap["base_rate"])
    eta = calibrated_log_odds(evidence, cmap)
    p_base = _sigmoid(eta)
    log_lr = eta - _logit(base_rate)
    lr = math.exp(min(log_lr, 700.0))
    used_prior = base_rate if prior is None else float(prior)
    probability = posterior(lr, used_prior)
    out: dict[str, Any] = {
        "probability": probability,
        "probability_at_base_rate": p_base,
        "likelihood_ratio": lr,
        "log10_likelihood_ratio": log_lr / math.log(10),
        "prior": used_prior,
        "prior_source": "calibration base rate" if prior is None else "user (--prior)",
        "calibration": {"name": cmap.get("name", name), "version": cmap["version"], "file": name,
                        "sha256": sha, "trained_on": cmap.get("trained_on"),
                        "metrics": cmap.get("metrics"), "thresholds": cmap.get("thresholds")},
    }
    if not has_controls:
        # Without controls there is no distillation evidence: the likelihood ratio is 1 and
        # the probability stays at the prior.
        out.update(probability=used_prior, probability_at_base_rate=base_rate,
                   likelihood_ratio=1.0, log10_likelihood_ratio=0.0,
                   probability_note="no control models: there is no distillation test, so the "
                                    "probability is only the prior; only the same-model "
                                    "question was tested")
    return out
