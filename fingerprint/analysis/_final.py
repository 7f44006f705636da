"""The final label: the test-based verdict and the calibrated probability together.

This is the one place the report's :class:`Verdict` is built.  The calibrated probability
comes from one layer up (:mod:`fingerprint.calibration`) as a :class:`Calibrated` value; this
module only reads it.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ._results import Calibrated, Label, TestVerdict, Verdict
from ._verdict import LINEAGE_TEST, _probes_needed, fmt_p


def _threshold(calibrated: Calibrated, which: str) -> float | None:
    th = ((calibrated.calibration.thresholds or {}).get(which) or {})
    v = th.get("probability")
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _more_probes(test: TestVerdict) -> str:
    """How much more data would let the test (and with it the calibrated evidence) decide."""
    t, n, alpha = test.test_statistic, test.n_probes_tested, test.alpha
    unit = "prompts" if test.single_sample else "probes"
    if test.test == LINEAGE_TEST:
        return ("more prompts, or more controls unrelated to both models (with K controls the "
                "rank test cannot go below p = 1/(K+1))")
    need = _probes_needed(t, n, alpha)
    if need is not None and need > n:
        return (f"about {need} {unit} (80 % power of the test at the observed effect), or more "
                f"samples per probe")
    if t is not None and math.isfinite(t) and t > 0:
        return (f"more {unit}: the test's statistic grows with the square root of their number "
                f"(about {4 * n} {unit} double it), and with it the calibrated probability")
    return (f"more {unit} or more samples per probe; the observed effect does not lean toward "
            f"the reference, so no number of {unit} can be promised")


def _verdict(test: TestVerdict, calibrated: Calibrated, label: Label, summary: str,
             reasons: list[str] | tuple[str, ...], more: str | None) -> Verdict:
    return Verdict(
        label=label, summary=summary, reasons=tuple(reasons), more_data_needed=more,
        label_from_test=test.label, p_value=test.p_value, p_value_equality=test.p_value_equality,
        alpha=test.alpha, alpha_equality=test.alpha_equality,
        test_statistic=test.test_statistic, n_probes_tested=test.n_probes_tested,
        compared=test.compared, single_sample=test.single_sample, test=test.test,
        probability=calibrated.probability,
        probability_at_base_rate=calibrated.probability_at_base_rate,
        likelihood_ratio=calibrated.likelihood_ratio,
        log10_likelihood_ratio=calibrated.log10_likelihood_ratio, prior=calibrated.prior,
        prior_source=calibrated.prior_source, calibration=calibrated.calibration,
        label_from_calibration=calibrated.label_from_calibration,
        missing_evidence=calibrated.missing_evidence,
        calibration_note=calibrated.calibration_note,
        probability_note=calibrated.probability_note)


def final_verdict(test: TestVerdict, calibrated: Calibrated, *, has_controls: bool) -> Verdict:
    """The final label, its reasons, summary and ``more_data_needed``.

    * ``same_model`` comes from the equality test alone; without controls the test's label
      stands (it is never ``distilled``);
    * ``distilled`` only if the distillation test rejects at alpha AND the calibrated
      probability at the calibration's base rate reaches its ``distilled`` threshold (whose
      false-positive rate on pairs of known lineage is stated);
    * ``independent`` if the test does not reject AND that probability stays below the
      distilled threshold: "no evidence of a training link", the test's own meaning.  Above
      the calibration's stricter ``independent`` threshold a reason says so, because weakly
      distilled models also land there (the power benchmark states how often);
    * otherwise ``inconclusive``, saying which of the two disagree and what would settle it.
    """
    label = test.label
    keep = _verdict(test, calibrated, label, test.summary, test.reasons, test.more_data_needed)
    if label in ("same_model", "inconclusive") or not has_controls:
        return keep
    p = calibrated.probability_at_base_rate
    t_dist, t_ind = _threshold(calibrated, "distilled"), _threshold(calibrated, "independent")
    if t_dist is None or t_ind is None:
        return replace(keep, reasons=keep.reasons + (
            "the calibration states no thresholds, so the label is the test's",))
    what = test.compared or "the models"
    p_test = fmt_p(test.p_value)
    alpha = test.alpha
    cal = (f"calibrated probability of distillation {p:.2f} at the calibration's base rate "
           f"(distilled at >= {t_dist:.2f}, independent at <= {t_ind:.2f})")
    reasons = list(keep.reasons) + [cal]
    rejects = label == "distilled"
    agree = "the test and the calibrated probability agree"
    if rejects and p >= t_dist:
        return replace(keep, reasons=tuple(reasons + [agree]))
    if not rejects and p < t_dist:
        if p > t_ind:
            reasons.append(f"the calibrated probability is above {t_ind:.2f}, where pairs of known "
                           "lineage were all independent: a lightly distilled model can give "
                           "evidence like this, so this is absence of evidence, not proof")
        return replace(keep, reasons=tuple(reasons + [agree]))
    more = _more_probes(test)
    lineage = test.test == LINEAGE_TEST
    if rejects:
        why = "the test rejects but the calibrated probability is below the distilled threshold"
        found = ("The lineage rank test placed the suspect above the controls"
                 if lineage else "The relative test found the suspect closer to the reference "
                 "than every control and closer to it than to any control")
        summary = (f"Compared {what}. {found} (p = {p_test} < {alpha}), but the calibrated "
                   f"probability of distillation, {p:.2f}, is below the {t_dist:.2f} at which "
                   f"pairs of known lineage were called distilled with a stated false-positive "
                   f"rate. The two disagree, so no verdict is given; collect {more}.")
    else:  # the test does not reject, yet the probability reaches the distilled threshold
        why = ("the calibrated probability reaches the distilled threshold but the test does not "
               "reject")
        summary = (f"Compared {what}. The calibrated probability of distillation is {p:.2f}, "
                   f"above the distilled threshold {t_dist:.2f}, but "
                   + ("the lineage rank test did not place the suspect significantly above the "
                      "controls" if lineage else "the relative test did not find the suspect "
                      "significantly closer to the reference than the controls")
                   + f" (p = {p_test}). The two disagree, so no verdict is given; collect {more}.")
    return _verdict(test, calibrated, "inconclusive", summary, reasons + [why], more)
