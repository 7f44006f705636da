"""How good a probability is: reliability bins, expected calibration error, Brier score,
log loss, ROC AUC and decision thresholds.

All metrics take out-of-sample probabilities ``p`` and 0/1 outcomes ``y``.  Bins are the
ten equal-width intervals [0, 0.1), …, [0.9, 1.0]; the expected calibration error (ECE) is
the count-weighted mean of |observed rate − mean predicted probability| over non-empty
bins, so every table that states an ECE also states the bin counts it was computed on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats as sps

from ..stats.roc import roc_auc

N_BINS = 10
MAX_FPR = 0.05
MAX_FNR = 0.05


def _arrays(p: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if p.shape != y.shape:
        raise ValueError("one outcome per probability is needed")
    if p.size and (np.any(p < 0) or np.any(p > 1) or not np.all(np.isfinite(p))):
        raise ValueError("probabilities must lie in [0, 1]")
    if np.any((y != 0) & (y != 1)):
        raise ValueError("outcomes must be 0 or 1")
    return p, y


def reliability_bins(p: Any, y: Any, n_bins: int = N_BINS) -> list[dict[str, Any]]:
    """One row per equal-width bin: bounds, count, mean predicted probability, observed rate."""
    p, y = _arrays(p, y)
    index = np.minimum((p * n_bins).astype(int), n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = index == b
        n = int(mask.sum())
        rows.append({"lo": b / n_bins, "hi": (b + 1) / n_bins, "count": n,
                     "positives": int(y[mask].sum()),
                     "mean_predicted": float(p[mask].mean()) if n else None,
                     "observed_rate": float(y[mask].mean()) if n else None})
    return rows


def expected_calibration_error(p: Any, y: Any, n_bins: int = N_BINS) -> float:
    p, y = _arrays(p, y)
    if not p.size:
        return float("nan")
    total = 0.0
    for row in reliability_bins(p, y, n_bins):
        if row["count"]:
            total += row["count"] * abs(row["observed_rate"] - row["mean_predicted"])
    return total / p.size


def brier_score(p: Any, y: Any) -> float:
    p, y = _arrays(p, y)
    return float(np.mean((p - y) ** 2)) if p.size else float("nan")


def log_loss(p: Any, y: Any, eps: float = 1e-12) -> float:
    p, y = _arrays(p, y)
    if not p.size:
        return float("nan")
    q = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def summarize(p: Any, y: Any, n_bins: int = N_BINS) -> dict[str, Any]:
    """Every metric of one set of out-of-sample predictions, with the bin counts."""
    p, y = _arrays(p, y)
    bins = reliability_bins(p, y, n_bins)
    return {"n": int(p.size), "n_distilled": int(y.sum()), "n_not_distilled": int(p.size - y.sum()),
            "ece": expected_calibration_error(p, y, n_bins), "ece_bins": n_bins,
            "bin_counts": [row["count"] for row in bins],
            "brier": brier_score(p, y), "log_loss": log_loss(p, y), "auc": roc_auc(p[y == 1], p[y == 0]),
            "reliability": bins}


def ece_if_calibrated(p: Any, y: Any, groups: list[str], *, rng: np.random.Generator,
                      draws: int = 2000, n_bins: int = N_BINS) -> dict[str, Any]:
    """How large the ECE of these predictions would be if the map were perfectly calibrated.

    Labels are redrawn from the predictions themselves, once per pair (every case of a pair
    shares the pair's label, drawn with the pair's mean probability), and the ECE recomputed.
    With a few dozen pairs this is far from 0; ``p_value`` is the share of redraws whose ECE
    reaches the observed one (small = miscalibration beyond sampling noise)."""
    p, y = _arrays(p, y)
    names = sorted(set(groups))
    index = np.array([names.index(g) for g in groups])
    mean_p = np.bincount(index, weights=p, minlength=len(names)) / np.bincount(index)
    observed = expected_calibration_error(p, y, n_bins)
    sims = np.array([expected_calibration_error(
        p, (rng.random(len(names)) < mean_p)[index].astype(float), n_bins) for _ in range(draws)])
    return {"mean": float(sims.mean()), "upper95": float(np.quantile(sims, 0.95)),
            "p_value": float((1 + np.sum(sims >= observed)) / (1 + draws)), "draws": draws,
            "labels": "redrawn once per pair from the pair's mean held-out probability"}


def _upper95(k: int, n: int) -> float:
    """One-sided 95 % Clopper–Pearson upper bound of a rate seen k times in n."""
    return 1.0 if k >= n else float(sps.beta.ppf(0.95, k + 1, n - k))


def choose_thresholds(p: np.ndarray, y: np.ndarray, *, max_fpr: float = MAX_FPR,
                      max_fnr: float = MAX_FNR) -> dict[str, Any]:
    """Decision thresholds on the out-of-sample probability (at the calibration base rate).

    ``distilled``: the smallest probability t such that the fraction of non-distilled cases
    with p ≥ t is ≤ ``max_fpr``.  ``independent``: the largest t such that the fraction of
    distilled cases with p ≤ t is ≤ ``max_fnr``.  In between the answer is inconclusive.
    """
    p, y = np.asarray(p, float), np.asarray(y, float)
    neg, pos = np.sort(p[y == 0]), np.sort(p[y == 1])
    candidates = np.unique(np.concatenate([p, [1.0 + 1e-9]]))
    t_dist = next(t for t in candidates if np.mean(neg >= t) <= max_fpr)
    lower = np.unique(np.concatenate([[-1e-9], p]))[::-1]
    t_ind = next(t for t in lower if np.mean(pos <= t) <= max_fnr)
    fp, tp = int(np.sum(neg >= t_dist)), int(np.sum(pos >= t_dist))
    fn, tn = int(np.sum(pos <= t_ind)), int(np.sum(neg <= t_ind))
    return {
        "applies_to": "probability at the calibration base rate (equivalently the likelihood "
                      "ratio); a user prior changes the stated probability, not the label",
        "distilled": {"probability": float(min(t_dist, 1.0)), "rule": "p >= threshold",
                      "false_positive_rate": fp / len(neg), "false_positives": fp,
                      "negatives": len(neg), "false_positive_rate_upper95": _upper95(fp, len(neg)),
                      "true_positive_rate": tp / len(pos), "target_max_fpr": max_fpr},
        "independent": {"probability": float(max(t_ind, 0.0)), "rule": "p <= threshold",
                        "false_negative_rate": fn / len(pos), "false_negatives": fn,
                        "positives": len(pos), "false_negative_rate_upper95": _upper95(fn, len(pos)),
                        "true_negative_rate": tn / len(neg), "target_max_fnr": max_fnr},
    }


def label_for(p: float, thresholds: dict[str, Any] | None) -> str | None:
    """distilled / independent / inconclusive from the calibrated thresholds (None if the
    map has none).  Distilled wins when the two thresholds overlap (classes separate)."""
    if not thresholds:
        return None
    if p >= thresholds["distilled"]["probability"]:
        return "distilled"
    if p <= thresholds["independent"]["probability"]:
        return "independent"
    return "inconclusive"


def format_summary(name: str, m: dict[str, Any]) -> str:
    auc = "n/a" if m.get("auc") is None else f"{m['auc']:.3f}"
    ref = m.get("ece_if_calibrated")
    noise = (f"; a perfectly calibrated map would show ECE {ref['mean']:.3f} on average here "
             f"(95 % up to {ref['upper95']:.3f}; p = {ref['p_value']:.2f})" if ref else "")
    return (f"{name:<22} n={m['n']:<5} (distilled {m['n_distilled']}, not {m['n_not_distilled']})  "
            f"ECE={m['ece']:.3f}  Brier={m['brier']:.3f}  log-loss={m['log_loss']:.3f}  AUC={auc}\n"
            f"{'':<22} bin counts (10 equal-width bins): {m['bin_counts']}{noise}")
