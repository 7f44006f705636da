"""The evaluative statement of a run: a likelihood ratio for stated propositions, estimated
from validation cases, with a bound the number of those cases can support.

Propositions (docs/statistics.md#evaluation):
* Hp — the suspect was trained on the reference's outputs;
* Hd1 — no training link: the suspect was developed independently of the reference;
* Hd2 — a shared lineage: the same developer, the same base weights, or training data both
  took from a third source.  The statistics separate Hp from Hd1; Hd2 is addressed by case
  information (:mod:`._relations`) and by the controls' relation to both models.

The run's statistic is the calibration map's score (its probability at the calibration's base
rate).  The likelihood ratio at that score is a monotone density-ratio estimate: the pool-
adjacent-violators fit of the label on the held-out validation scores, with one dummy
non-distilled case above every score and one distilled case below (Brümmer & du Preez 2006),
so that no finite set of cases gives an infinite ratio.  Its conservative bounds are the
ratio of one-sided 95 % Clopper–Pearson bounds on the block's counts of distilled and
non-distilled cases: with n non-distilled cases and none in the block, the lower bound cannot
exceed ``1 / (1 − 0.05**(1/n))``, about n / 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy import stats as sps
from scipy.optimize import isotonic_regression

from ..analysis import ErrorRates, Evaluation, Flag, LineageRelation, PriorRow, Proposition
from ..errors import CalibrationError
from ..stats import clopper_pearson

#: ``distilled`` needs the likelihood ratio's lower bound at or above this (fixed before
#: looking at any run; 10 is the floor of "moderate support" on the verbal scale)
LR_THRESHOLD = 10.0
#: the default prior, said in words in every report; the reader's own belongs in --prior
DEFAULT_PRIOR = 0.5
SENSITIVITY_PRIORS = (0.01, 0.10, 0.50)
BOUND_LEVEL = 0.95  # one-sided, for each of the two counts

PROPOSITIONS = (
    Proposition("Hp", "the suspect was trained on the reference's outputs",
                "the statistics (this run's tests and likelihood ratio)"),
    Proposition("Hd1", "no training link: the suspect was developed independently of the "
                "reference", "the statistics (this run's tests and likelihood ratio)"),
    Proposition("Hd2", "a shared lineage: the same developer, the same base weights, or "
                "training data both took from a third source",
                "case information (the lineage registry and --lineage file) and controls "
                "that share either model's lineage; not by the likelihood ratio"),
)
#: (lower edge of the ratio, words), ENFSI-style; the ratio read is the conservative bound
VERBAL_SCALE = ((10_000.0, "very strong support"), (1_000.0, "strong support"),
                (100.0, "moderately strong support"), (10.0, "moderate support"),
                (1.0, "weak support"))
METHOD = ("likelihood ratio from the held-out validation scores of the calibration segment: "
          "pool-adjacent-violators density ratio with one dummy case of each kind at the "
          "extremes; bounds: one-sided 95 % Clopper–Pearson bounds of the block's counts of "
          "distilled and non-distilled cases; posterior = LR × prior odds")


@dataclass(frozen=True)
class Block:
    """One step of the monotone fit: a score range and the cases in it."""

    lo: float
    hi: float
    positives: int  # real validation cases only
    negatives: int
    ratio: float  # with the dummy cases


def _cp_lower(k: int, n: int) -> float:
    return 0.0 if k == 0 else float(sps.beta.ppf(1 - BOUND_LEVEL, k, n - k + 1))


def _cp_upper(k: int, n: int) -> float:
    return 1.0 if k == n else float(sps.beta.ppf(BOUND_LEVEL, k + 1, n - k))


def fit_blocks(scores: Sequence[float], labels: Sequence[int]) -> list[Block]:
    """The PAV fit of ``labels`` (1 distilled, 0 not) on ``scores``, as blocks of equal ratio."""
    s, y = np.asarray(scores, float), np.asarray(labels, int)
    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("validation needs both distilled and non-distilled cases")
    values = np.unique(s)
    pos = np.array([int(y[s == v].sum()) for v in values])
    neg = np.array([int((s == v).sum()) for v in values]) - pos
    # Brümmer's dummies: a distilled case below every score, a non-distilled one above
    pos = np.concatenate([[1], pos, [0]])
    neg = np.concatenate([[0], neg, [1]])
    edges = np.concatenate([[-math.inf], values, [math.inf]])
    weights = pos + neg
    fitted = isotonic_regression(pos / weights, weights=weights).x
    blocks: list[Block] = []
    start = 0
    for i in range(1, len(fitted) + 1):
        if i == len(fitted) or not math.isclose(fitted[i], fitted[start], rel_tol=1e-12, abs_tol=1e-15):
            p, q = int(pos[start:i].sum()), int(neg[start:i].sum())
            real_p = p - (1 if start == 0 else 0)
            real_q = q - (1 if i == len(fitted) else 0)
            ratio = (p / (n_pos + 1)) / (q / (n_neg + 1)) if q else math.inf
            blocks.append(Block(float(edges[start]), float(edges[i - 1]), real_p, real_q, ratio))
            start = i
    return blocks


def _block_for(blocks: list[Block], score: float) -> Block:
    """The block holding ``score``; between two blocks, the one whose ratio is nearer 1."""
    for b in blocks:
        if b.lo <= score <= b.hi:
            return b
    for below, above in zip(blocks, blocks[1:]):
        if below.hi < score < above.lo:
            return min((below, above), key=lambda b: abs(math.log(b.ratio)))
    return blocks[-1] if score > blocks[-1].hi else blocks[0]


def ratio_with_bounds(blocks: list[Block], score: float, n_pos: int, n_neg: int
                      ) -> tuple[float, float, float | None]:
    """(LR, conservative lower bound, upper bound or None when unbounded) at ``score``."""
    b = _block_for(blocks, score)
    lr = b.ratio
    lower = _cp_lower(b.positives, n_pos) / _cp_upper(b.negatives, n_neg)
    denominator = _cp_lower(b.negatives, n_neg)
    upper = _cp_upper(b.positives, n_pos) / denominator if denominator > 0 else None
    return lr, min(lower, lr), (max(upper, lr) if upper is not None else None)


def max_supported_ratio(n_neg: int) -> float:
    """The largest lower bound ``n_neg`` non-distilled validation cases can support."""
    return 1.0 / _cp_upper(0, n_neg)


def verbal(lr: float, lower: float, upper: float | None) -> tuple[str, str]:
    """(words, which proposition they support), read off the conservative bound."""
    if lr >= 1.0:
        if lower < 1.0:
            return "no support for either proposition beyond what chance gives (the bound " \
                   "includes 1)", "neither"
        words = next(w for edge, w in VERBAL_SCALE if lower >= edge)
        return f"{words} for Hp over Hd1", "Hp"
    if upper is None or upper > 1.0:
        return "no support for either proposition beyond what chance gives (the bound " \
               "includes 1)", "neither"
    words = next(w for edge, w in VERBAL_SCALE if 1.0 / upper >= edge)
    return f"{words} for Hd1 over Hp", "Hd1"


def posterior(lr: float, prior: float) -> float:
    """Bayes' rule on the odds: posterior odds = likelihood ratio × prior odds."""
    if not 0 < prior < 1:
        raise CalibrationError("a prior must lie strictly between 0 and 1")
    odds = lr * prior / (1.0 - prior)
    return odds / (1.0 + odds) if math.isfinite(odds) else 1.0


def _validation(cmap: dict[str, Any]) -> tuple[list[str], np.ndarray, np.ndarray]:
    rows = [r for r in cmap.get("held_out") or [] if r[1] in (0, 1)]
    return ([r[0] for r in rows], np.array([float(r[2]) for r in rows]),
            np.array([int(r[1]) for r in rows]))


def error_rates(cmap: dict[str, Any], design: str) -> ErrorRates | None:
    """How often "LR lower bound ≥ threshold" fired on the validation cases, each pair's
    cases scored by blocks fitted without that pair (leave one pair out)."""
    pairs, s, y = _validation(cmap)
    if y.size == 0 or y.min() == y.max():
        return None
    fired = np.zeros(y.size, bool)
    for pair in sorted(set(pairs)):
        out = np.array([p == pair for p in pairs])
        rest_y = y[~out]
        if rest_y.min() == rest_y.max():
            continue
        blocks = fit_blocks(s[~out], rest_y)
        n_pos, n_neg = int(rest_y.sum()), int((1 - rest_y).sum())
        for i in np.flatnonzero(out):
            fired[i] = ratio_with_bounds(blocks, s[i], n_pos, n_neg)[1] >= LR_THRESHOLD
    fp, n_neg = int(fired[y == 0].sum()), int((y == 0).sum())
    tp, n_pos = int(fired[y == 1].sum()), int((y == 1).sum())
    return ErrorRates(
        rule=f"likelihood-ratio lower bound >= {LR_THRESHOLD:g}",
        fpr=fp / n_neg, fpr_ci=clopper_pearson(fp, n_neg), tpr=tp / n_pos,
        tpr_ci=clopper_pearson(tp, n_pos), false_positives=fp, negatives=n_neg,
        true_positives=tp, positives=n_pos, design=design,
        note="rates of the likelihood-ratio condition alone, each pair held out of the fit "
             "that scores it; a 'distilled' label also needs the test to reject, so its "
             "false-positive and true-positive rates are at most these")


def evaluate(score: float | None, cmap: dict[str, Any], *, prior: float | None,
             design: str, flags: Sequence[Flag], lineage: LineageRelation | None,
             has_controls: bool) -> Evaluation:
    """The evaluation of one run's score under the map's validation cases."""
    used_prior = DEFAULT_PRIOR if prior is None else float(prior)
    prior_source = ("even prior (1 : 1), the default: state your own with --prior"
                    if prior is None else "your prior (--prior)")
    _, s, y = _validation(cmap)
    usable = has_controls and score is not None and y.size and y.min() != y.max()
    if usable:
        n_pos, n_neg = int(y.sum()), int((1 - y).sum())
        lr, lower, upper = ratio_with_bounds(fit_blocks(s, y), float(score), n_pos, n_neg)
        words, supports = verbal(lr, lower, upper)
        validation = (f"{n_pos} distilled and {n_neg} non-distilled held-out validation cases "
                      f"({design}); the largest lower bound these support is "
                      f"{max_supported_ratio(n_neg):.3g}")
        rates = error_rates(cmap, design)
    else:
        lr, lower, upper = 1.0, 1.0, 1.0
        words, supports = ("no distillation test without controls: the evidence does not "
                           "bear on Hp against Hd1" if not has_controls else
                           "no validation cases for this kind of run"), "neither"
        validation = "none used"
        rates = None
    rows = [PriorRow(p, posterior(lr, p), posterior(lower, p),
                     "even prior" if p == 0.5 else f"{p:.0%}") for p in SENSITIVITY_PRIORS]
    if prior is not None and prior not in SENSITIVITY_PRIORS:
        rows.append(PriorRow(used_prior, posterior(lr, used_prior), posterior(lower, used_prior),
                             "your prior (--prior)"))
    return Evaluation(
        propositions=PROPOSITIONS, statistic=score if usable else None, likelihood_ratio=lr,
        likelihood_ratio_lower=lower, likelihood_ratio_upper=upper,
        log10_likelihood_ratio=math.log10(lr), verbal_scale=words, supports=supports,
        lr_threshold=LR_THRESHOLD, prior=used_prior, prior_source=prior_source,
        posterior=posterior(lr, used_prior), sensitivity=tuple(rows), error_rates=rates,
        flags=tuple(flags), lineage=lineage, method=METHOD, validation=validation)
