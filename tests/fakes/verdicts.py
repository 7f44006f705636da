"""A calibrated value with a chosen likelihood ratio, for tests of the final label."""

from __future__ import annotations

from fingerprint.analysis import Calibrated, CalibrationInfo


def calibrated(lr, lower=None, evaluation=True):
    """A calibrated value whose evaluation has likelihood ratio ``lr`` and bound ``lower``."""
    from fingerprint.analysis import Evaluation
    from fingerprint.calibration import PROPOSITIONS

    lower = lr if lower is None else lower
    info = CalibrationInfo(name="test", version="1", file="test.json", segment=None, sha256="0",
                           trained_on=None, ece=None, ece_bins=None, bin_counts=None, brier=None,
                           cv_scheme=None, metrics=None, thresholds=None, plain_summary=None)
    ev = Evaluation(propositions=PROPOSITIONS, statistic=0.5, likelihood_ratio=lr,
                    likelihood_ratio_lower=lower, likelihood_ratio_upper=None,
                    log10_likelihood_ratio=0.0, verbal_scale="words", supports="Hp",
                    lr_threshold=10.0, prior=0.5, prior_source="even",
                    posterior=lr / (1 + lr), sensitivity=(), error_rates=None, flags=(),
                    lineage=None, method="m", validation="72 validation cases")
    return Calibrated(probability=lr / (1 + lr), probability_at_base_rate=0.5,
                      likelihood_ratio=lr, log10_likelihood_ratio=0.0, prior=0.5,
                      prior_source="test", calibration=info, label_from_calibration=None,
                      missing_evidence=(), evaluation=ev if evaluation else None)
