"""From evidence to a probability of distillation that means what it says.

Applying a map (:func:`apply_calibration`) is all a run needs; fitting one
(:func:`build_calibration`, cases from :func:`corpus_cases` or live comparisons), its
metrics and the labelled pairs it is fitted on live here too, and nothing below this layer
imports them.  See docs/calibration.md.
"""

from ._apply import (DEFAULT_CALIBRATION, apply_calibration, calibrated_log_odds, calibrated_verdict,
                     load_calibration, missing_features, select_segment)
from ._benchmark import format_table as format_benchmark
from ._benchmark import panel_controls, prepare_panel, read_labelled, run_benchmark, score_pairs
from ._cases import CORPUS_CONTROLS, corpus_cases, corpus_response_set
from ._fit import Case, fit_logistic, fit_map
from ._maps import build_calibration, build_map, format_metrics
from ._null_check import NULL_LEVELS, NullCheck, NullPairs, dyadic_se, null_check, null_pvalues
from ._metrics import (brier_score, choose_thresholds, expected_calibration_error, label_for,
                       reliability_bins, summarize)
from ._pairs import (LABELS, excluded_by, excluded_controls, lineage_groups, one_per_lineage,
                     organism_sources, pair_id, read_pairs, related_models, stable_int,
                     unrelated_organisms)
from ._evaluation import LR_THRESHOLD, PROPOSITIONS, evaluate, posterior
from ._relations import (lineage_of, read_lineage_file, related_by_facts, relation,
                         validate_lineage)
from ._reliability import render_reliability, write_reliability
from ._segments import DEFAULT_FEATURES, SEGMENT_TEXT, segment_of

__all__ = [
    "CORPUS_CONTROLS", "Case", "NULL_LEVELS", "NullCheck", "NullPairs", "DEFAULT_CALIBRATION", "DEFAULT_FEATURES", "LABELS",
    "SEGMENT_TEXT", "apply_calibration", "brier_score", "build_calibration", "build_map",
    "calibrated_log_odds", "calibrated_verdict", "choose_thresholds", "corpus_cases", "corpus_response_set", "dyadic_se", "excluded_by", "excluded_controls",
    "expected_calibration_error", "fit_logistic", "fit_map", "format_benchmark",
    "format_metrics", "label_for", "lineage_groups", "load_calibration", "missing_features",
    "null_check", "null_pvalues", "one_per_lineage", "panel_controls",
    "organism_sources",
    "pair_id", "posterior", "prepare_panel", "read_labelled", "read_pairs", "score_pairs", "related_models", "reliability_bins",
    "render_reliability", "run_benchmark", "segment_of", "select_segment", "stable_int",
    "summarize", "unrelated_organisms", "write_reliability", "LR_THRESHOLD", "PROPOSITIONS",
    "evaluate", "lineage_of", "read_lineage_file", "related_by_facts", "relation", "validate_lineage",
]
