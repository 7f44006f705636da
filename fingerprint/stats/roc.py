"""Ranking quality of a score: ROC AUC and the true-positive rate at a false-positive budget.

One implementation for every caller (the corpus benchmark, calibration metrics, benchmarks).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """P(score of a positive > score of a negative), ties counting one half; None if a class
    is empty."""
    pos = np.asarray(positives, float).ravel()
    neg = np.asarray(negatives, float).ravel()
    if not pos.size or not neg.size:
        return None
    a, b = pos[:, None], neg[None, :]
    return float(((a > b).sum() + 0.5 * (a == b).sum()) / (pos.size * neg.size))


def tpr_at_fpr(positives: Sequence[float], negatives: Sequence[float],
               max_fpr: float = 0.05) -> tuple[float | None, float | None]:
    """(largest TPR over thresholds whose false-positive rate on ``negatives`` is ≤
    ``max_fpr``, that threshold); a case is flagged when its score is above the threshold."""
    pos = np.asarray(positives, float).ravel()
    neg = np.sort(np.asarray(negatives, float).ravel())[::-1]
    if not pos.size or not neg.size:
        return None, None
    allowed = int(np.floor(max_fpr * neg.size))  # negatives allowed above the threshold
    threshold = float(neg[allowed]) if allowed < neg.size else -np.inf
    return float(np.mean(pos > threshold)), threshold
