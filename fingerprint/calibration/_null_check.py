"""The null check of the lineage decision rule on a real panel (docs/corpora.md).

Every ordered pair of corpus models with no documented relation is scored as if it were a
case: the relatives of both removed from the panel, the rest as controls.  Such pairs are
independent by what is known of them, so a valid test gives p-values that are not below
uniform: ``P(p <= t)`` at most the bound an exact test obeys, ``t`` for a continuous
p-value and ``floor(t (K+1)) / (K+1)`` for a rank among K controls (K lineages when controls
are weighted by lineage).

The pairs are not independent draws: pairs that share a model share its answers.  How far
above the bound sampling alone can put the observed rate is therefore measured with the
dyadic cluster-robust variance (Aronow, Samii & Assenova 2015, *Political Analysis* 23:564),
which counts the covariance of every two pairs with a model in common.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from ._benchmark import DECISIONS, MIN_CONTROLS, Panel, _decided, pair_scorer, panel_controls
from ._pairs import related_models

#: the levels t at which P(p <= t) is compared with the exact bound
NULL_LEVELS = (0.05, 0.1, 0.2, 0.5)
#: one-sided level of the check itself: a level fails when the observed rate exceeds the
#: bound by more than this test's critical value times the dyadic standard error
CHECK_ALPHA = 0.01


def dyadic_se(values: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """Standard error of ``values.mean()`` when observation i belongs to the pair of units
    ``(first[i], second[i])`` and observations sharing a unit may be correlated.

    ``sum over units u of (sum of residuals involving u)^2`` counts every two observations
    with a unit in common, once per shared unit; observations of the same unordered pair share
    two, so their joint sums are subtracted once.  Floored at the independent-draws variance.
    """
    x = np.asarray(values, float)
    n = x.size
    if n < 2:
        return float("nan")
    e = x - x.mean()
    units = int(max(first.max(), second.max())) + 1
    by_unit = np.bincount(first, e, units) + np.bincount(second, e, units)
    lo, hi = np.minimum(first, second), np.maximum(first, second)
    _, dyad = np.unique(lo * units + hi, return_inverse=True)
    by_dyad = np.bincount(dyad.ravel(), e)
    var = (np.sum(by_unit ** 2) - np.sum(by_dyad ** 2)) / n ** 2
    return math.sqrt(max(var, float(np.sum(e ** 2)) / n ** 2))


@dataclass(frozen=True)
class NullCheck:
    """P(p <= t) over the undocumented pairs of one panel, with the exact bound at each t and
    the dyadic standard error of each observed rate."""

    pairs: int
    skipped: int  # pairs left with too few controls (or lineages)
    controls_median: float | None
    observed: dict[float, float]
    bound: dict[float, float]
    se: dict[float, float]

    def tolerance(self, t: float) -> float:
        """How far above the bound sampling alone can put ``P(p <= t)`` (one-sided
        ``CHECK_ALPHA``)."""
        return float(norm.isf(CHECK_ALPHA)) * self.se[t]

    def failures(self) -> list[float]:
        """The levels where the p-values are below uniform beyond the tolerance."""
        return [t for t in self.observed if self.observed[t] > self.bound[t] + self.tolerance(t)]

    def to_json(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "skipped": self.skipped,
                "controls_median": self.controls_median,
                "levels": {str(t): {"observed": self.observed[t], "exact_bound": self.bound[t],
                                    "se": self.se[t], "tolerance": self.tolerance(t)}
                           for t in self.observed},
                "failures": [str(t) for t in self.failures()] if self.pairs else None}


@dataclass(frozen=True)
class NullPairs:
    """The decision rule's p-values on a panel's undocumented pairs, before any check."""

    p_values: np.ndarray
    reference: np.ndarray  # model index of each pair's reference
    suspect: np.ndarray
    units: np.ndarray  # what a rank p ranks among: controls, or lineages when weighted
    n_controls: np.ndarray
    rank: bool
    skipped: int = 0  # pairs left with fewer than MIN_CONTROLS controls (or lineages)

    def check(self, min_controls: int = MIN_CONTROLS) -> NullCheck:
        """The check on the pairs with at least ``min_controls`` controls."""
        keep = self.n_controls >= min_controls
        p, k = self.p_values[keep], self.units[keep]
        skipped = self.skipped + int((~keep).sum())
        if not p.size:
            return NullCheck(0, skipped, None, {}, {}, {})
        ref, sus = self.reference[keep], self.suspect[keep]
        observed, bound, se = {}, {}, {}
        for t in NULL_LEVELS:
            hit = (p <= t + 1e-12).astype(float)
            observed[t] = float(hit.mean())
            bound[t] = (float(np.mean(np.floor(t * (k + 1) + 1e-9) / (k + 1))) if self.rank
                        else t)
            se[t] = dyadic_se(hit, ref, sus)
        return NullCheck(int(p.size), skipped, float(np.median(self.n_controls[keep])),
                         observed, bound, se)


def null_pvalues(panel: Panel, labelled: list[dict[str, Any]], *, decision: str = "t",
                 per_lineage: bool = False, lineage_weighted: bool = False,
                 similarity_pooling: str = "mean", exchangeable: bool = False,
                 null_model: str = "controls",
                 related: dict[str, set[str]] | None = None) -> NullPairs:
    """The decision rule's p-values (as :func:`score_pairs` takes it) of every ordered pair of
    ``panel`` with no relation documented in ``labelled`` (or in ``related``, if given, which
    then also decides the panels, as in :func:`score_pairs`)."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}")
    related = related_models(labelled) if related is None else related
    scorer = pair_scorer(panel, related, null_model=null_model,
                         similarity_pooling=similarity_pooling, exchangeable=exchangeable)
    index = {m: i for i, m in enumerate(panel.models)}
    rows: list[tuple[float, int, int, int, int]] = []
    skipped = 0
    for a in panel.models:
        for b in panel.models:
            if a == b or b in related.get(a, ()):
                continue
            names, groups = panel_controls(panel.models, related, a, b, per_lineage=per_lineage,
                                           lineage_weighted=lineage_weighted)
            if len(set(groups or names)) < MIN_CONTROLS:
                skipped += 1
                continue
            res = scorer(index[a], index[b], [index[m] for m in names], groups)
            rows.append((_decided(res, decision, groups)[1], index[a], index[b],
                         len(names) if groups is None else len(set(groups)), len(names)))
    p, ref, sus, units, ks = (np.asarray(c) for c in zip(*rows)) if rows else [np.zeros(0)] * 5
    return NullPairs(p.astype(float), ref.astype(int), sus.astype(int), units.astype(int),
                     ks.astype(int), rank=decision == "rank", skipped=skipped)


def null_check(panel: Panel, labelled: list[dict[str, Any]], *,
               min_controls: int = MIN_CONTROLS, **rule: Any) -> NullCheck:
    """:func:`null_pvalues` checked against uniform on the pairs with at least
    ``min_controls`` controls; ``rule`` as for :func:`null_pvalues`."""
    return null_pvalues(panel, labelled, **rule).check(min_controls)
