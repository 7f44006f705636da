"""The kinds of run a calibration map has a segment for, and the evidence each segment reads.

Shared by applying a map and fitting one, so both agree on which segment a run belongs to.
"""

from __future__ import annotations

from typing import Any

from ..analysis import WIDE_PANEL

# Evidence the map reads, per kind of run (see docs/calibration.md):
# * distill_t_min: the panel's weakest studentised relative-similarity statistic;
# * identity_agreement_diff / choice_agreement_diff: how much more often the suspect than the
#   most reference-like control repeats the reference's identity claims and its random-choice
#   biases (inherited quirks: specific to the reference, unlike overall closeness, which also
#   rises for any model trained on a mix of sources);
# * effect_standardized: t / sqrt(n), the per-prompt effect (one-answer runs have no quirks);
# * lineage_z: the corpus lineage score of the run's own panel (fingerprint.analysis.lineage_score), which
#   needs a wide panel: its standardisation is against the controls' spread.
DEFAULT_FEATURES: dict[str, tuple[str, ...]] = {
    "multi_sample": ("distill_t_min", "identity_agreement_diff", "choice_agreement_diff"),
    "single_sample": ("distill_t_min", "effect_standardized"),
    "single_sample_wide": ("lineage_z",),
}

SEGMENT_FIELDS = ("segment", "features", "coefficients", "intercept", "standardize", "clip", "base_rate",
                  "trained_on", "metrics", "thresholds", "held_out", "plain_summary")
SEGMENT_TEXT = {"multi_sample": "runs with several answers per probe (live or built-in models)",
                "single_sample": "runs with one answer per prompt (replayed public corpora) "
                                 f"and fewer than {WIDE_PANEL} controls",
                "single_sample_wide": "runs with one answer per prompt (replayed public "
                                      f"corpora) and {WIDE_PANEL} or more controls"}


def segment_of(evidence: dict[str, Any]) -> str:
    """Evidence from one answer per prompt is calibrated apart (its statistic is another
    one), and so are such runs with a wide control panel (they carry the lineage score)."""
    if not evidence.get("single_sample"):
        return "multi_sample"
    k = evidence.get("n_controls")
    wide = isinstance(k, (int, float)) and not isinstance(k, bool) and k >= WIDE_PANEL
    return "single_sample_wide" if wide else "single_sample"
