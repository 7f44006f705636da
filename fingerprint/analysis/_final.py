"""The final label: the test-based verdict and the calibrated probability together.

This is the one place the report's :class:`Verdict` is built.  The evaluation (likelihood
ratio, its bound, the lineage relation) comes from one layer up (:mod:`fingerprint.calibration`)
inside a :class:`Calibrated` value; this module only reads it.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ._results import Calibrated, Evaluation, Label, TestVerdict, Verdict
from ._verdict import LINEAGE_TEST, _probes_needed, fmt_p


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


def _lr_text(ev: Evaluation) -> str:
    bound = f"conservative bound {_fmt_lr(ev.likelihood_ratio_lower)}"
    return f"likelihood ratio {_fmt_lr(ev.likelihood_ratio)} ({bound}: {ev.verbal_scale})"


def _fmt_lr(x: float) -> str:
    return f"{x:.2g}" if x < 10 else f"{x:,.0f}"


def final_verdict(test: TestVerdict, calibrated: Calibrated, *, has_controls: bool) -> Verdict:
    """The final label, its reasons, summary and ``more_data_needed``.

    * ``same_model`` comes from the equality test alone;
    * without controls only the same-model question is asked: ``not_same_model`` ("not the
      same model — no distillation test without controls"), never ``independent``;
    * ``distilled`` only if the distillation test rejects at alpha (probes clustered by
      family) AND the likelihood ratio's conservative lower bound reaches ``lr_threshold``
      (10) AND no shared lineage of the two models is known; with a known shared lineage the
      same evidence reads ``related`` (a training link, Hd2 not excluded);
    * ``independent`` if the test does not reject AND the lower bound stays below the
      threshold; a likelihood ratio above 1 is then said and explained;
    * otherwise ``inconclusive``, saying which of the two disagree and what would settle it.
    A ``distilled`` label therefore always has a likelihood ratio of at least 10 and a
    posterior of at least 0.9 at an even prior.
    """
    label = test.label
    keep = _verdict(test, calibrated, label, test.summary, test.reasons, test.more_data_needed)
    ev = calibrated.evaluation
    if label == "same_model":
        return keep
    if not has_controls:
        if label in ("independent", "not_same_model"):
            return replace(keep, label="not_same_model", summary=(
                "Not the same model — no distillation test without controls. " + test.summary))
        return keep
    if ev is None:
        return replace(keep, reasons=keep.reasons + (
            "the calibration holds no validation cases, so the label is the test's",))
    reasons = list(keep.reasons) + [_lr_text(ev)]
    if label == "inconclusive":
        return replace(keep, reasons=tuple(reasons))
    lr, lower, floor = ev.likelihood_ratio, ev.likelihood_ratio_lower, ev.lr_threshold
    what = test.compared or "the models"
    p_test, alpha = fmt_p(test.p_value), test.alpha
    rejects = label == "distilled"
    strong = lower >= floor
    shared = ev.lineage.shared if ev.lineage else ()
    weighs = (f" The evidence is {_fmt_lr(lr)} times more probable if the suspect was trained "
              f"on the reference's outputs (Hp) than if it was developed independently (Hd1); "
              f"conservatively at least {_fmt_lr(lower)}: {ev.verbal_scale}.")
    if rejects and strong:
        if shared:
            summary = (f"{test.summary}{weighs} But the two models share a lineage "
                       f"({'; '.join(shared)}), so the resemblance may come from that shared "
                       "origin (Hd2) rather than from training on the reference's outputs; the "
                       "statistics cannot tell these apart.")
            return _verdict(test, calibrated, "related", summary, reasons + [
                "a training link is found but a shared lineage is known: 'related', not "
                "'distilled'"], "case information that separates training on the reference's "
                "outputs from the shared lineage (e.g. controls of the same lineage that are "
                "not students of the reference)")
        return _verdict(test, calibrated, "distilled", test.summary + weighs, reasons + [
            "the test and the likelihood ratio agree; 'distilled' assumes no shared lineage "
            "of the two models beyond what the lineage registry and case file record"], None)
    if not rejects and not strong:
        if lr > 1.0:
            reasons.append(f"the likelihood ratio {_fmt_lr(lr)} is above 1 (the evidence leans "
                           f"toward Hp), but its conservative bound {_fmt_lr(lower)} is below "
                           f"{floor:g} and the test does not reject: a lightly distilled model "
                           "can give evidence like this, so this is absence of evidence, not "
                           "proof of independence")
        return _verdict(test, calibrated, "independent", test.summary + weighs, reasons,
                        test.more_data_needed)
    more = _more_probes(test)
    lineage = test.test == LINEAGE_TEST
    if rejects:
        why = (f"the test rejects but the likelihood ratio's conservative bound is below {floor:g}")
        found = ("The lineage test placed the suspect above the controls"
                 if lineage else "The relative test found the suspect closer to the reference "
                 "than every control and closer to it than to any control")
        summary = (f"Compared {what}. {found} (p = {p_test} < {alpha}), but the likelihood "
                   f"ratio is {_fmt_lr(lr)}, conservatively only {_fmt_lr(lower)}, below the "
                   f"{floor:g} a 'distilled' label needs ({ev.validation}). The two disagree, so "
                   f"no verdict is given; collect {more}.")
    else:
        why = ("the likelihood ratio's conservative bound reaches the threshold but the test "
               "does not reject")
        summary = (f"Compared {what}. The likelihood ratio is {_fmt_lr(lr)} (conservatively "
                   f"{_fmt_lr(lower)}), but "
                   + ("the lineage test did not place the suspect significantly above the "
                      "controls" if lineage else "the relative test did not find the suspect "
                      "significantly closer to the reference than the controls")
                   + f" (p = {p_test}). The two disagree, so no verdict is given; collect {more}.")
    return _verdict(test, calibrated, "inconclusive", summary, reasons + [why], more)
