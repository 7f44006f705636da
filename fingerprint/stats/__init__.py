"""Statistical tests: kernel two-sample (MMD), relative similarity, categorical answers,
p-value combination, multiple testing and bootstrap intervals.  See docs/statistics.md."""

from .bootstrap import mean_ci, percentile_ci, relative_replicates
from .cluster import ClusterResult, cluster_sign_flip_test
from .categorical import CategoricalResult, categorical_test, clopper_pearson, rate
from .combine import benjamini_hochberg, cauchy_combination, holm
from .mmd import MMDResult, mmd2_unbiased, mmd_test, rbf_from_linear
from .relative import (PanelResult, PooledResult, RelativeResult, panel_test,
                       pooled_relative_test, relative_statistic, relative_test,
                       suspect_centred_statistic)
from .sequential import (mixture_e_process, randomization_e_value, sign_bet_e_values,
                         upper_confidence_sequence)
from .single_sample import single_sample_differences, suspect_centred_differences

__all__ = ["CategoricalResult", "ClusterResult", "cluster_sign_flip_test", "MMDResult", "PanelResult", "PooledResult", "RelativeResult",
           "benjamini_hochberg", "categorical_test", "cauchy_combination", "clopper_pearson",
           "holm", "mean_ci", "mixture_e_process", "randomization_e_value",
           "sign_bet_e_values", "upper_confidence_sequence", "mmd2_unbiased", "mmd_test", "panel_test", "percentile_ci",
           "pooled_relative_test", "rate", "rbf_from_linear", "relative_replicates",
           "relative_statistic", "relative_test", "single_sample_differences",
           "suspect_centred_differences", "suspect_centred_statistic"]
