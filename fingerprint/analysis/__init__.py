"""Stored responses ─► evidence ─► tests ─► the test-based verdict, and the final verdict.

:func:`analyze` is the one entry: it takes every model's answers (:class:`ResponseSet`) and
returns an :class:`Analysis` (the report's ``analysis`` section, the per-probe rows and the
test-based verdict).  The several-answers path (per-probe kernel tests pooled over probes)
and the one-answer path (per-prompt similarities, the lineage score) fill the same typed
result.  :func:`final_verdict` combines the test-based verdict with a :class:`Calibrated`
probability into the report's :class:`Verdict`; the calibration itself lives one layer up.
"""

from ._analyze import ResponseSet, analyze
from ._dyadic import dyadic_score, panel_means, pooled_scale_score
from ._final import final_verdict
from ._lineage import METHOD as LINEAGE_METHOD
from ._lineage import (LineageResult, lineage_from_counts, lineage_score, panel_similarities,
                       score_in_panel, term_counts)
from ._results import (SIDES, Analysis, AnalysisResult, Calibrated, CalibrationInfo,
                       ChoiceCounts, Comparison, ControlEquality, DistillationTest,
                       EmbedderRecord, EqualityTest, Evidence, Exhibit, FamilyResult,
                       FamilySimilarity, IdentityAgreement, Label, LineageTest,
                       NullDistribution, PlotData, PooledComparison, ProbeRow, Projection,
                       ProjectionPoint, Rate, SampleCounts, SuspectCentredTest, TestResults,
                       TestVerdict, Verdict)
from ._evaluation_results import (ErrorRates, Evaluation, Flag, LineageRelation, ModelLineage,
                                  PriorRow, Proposition, RelativeInPanel)
from ._sequential import SequentialOptions
from ._sequential_run import (SEQUENTIAL_TEST, STOP_REASONS, Fetched, RoundPlan,
                              SequentialResult, run_sequential)
from ._single import WIDE_PANEL
from ._verdict import ALPHA_EQUALITY, fmt_p

__all__ = [
    "ALPHA_EQUALITY", "Analysis", "AnalysisResult", "Calibrated", "CalibrationInfo",
    "ChoiceCounts", "Comparison", "ControlEquality", "DistillationTest", "EmbedderRecord",
    "EqualityTest", "Evidence", "Exhibit", "FamilyResult", "FamilySimilarity",
    "IdentityAgreement", "LINEAGE_METHOD", "Label", "LineageResult", "LineageTest",
    "NullDistribution", "PlotData", "PooledComparison", "ProbeRow", "Projection",
    "ProjectionPoint", "Rate", "ResponseSet", "SIDES", "SampleCounts", "SuspectCentredTest",
    "TestResults", "TestVerdict", "Verdict", "WIDE_PANEL", "analyze", "final_verdict", "fmt_p",
    "lineage_from_counts", "lineage_score", "panel_similarities", "score_in_panel",
    "term_counts", "ErrorRates", "Evaluation", "Flag", "LineageRelation", "ModelLineage",
    "PriorRow", "Proposition", "RelativeInPanel", "SEQUENTIAL_TEST", "STOP_REASONS", "Fetched",
    "RoundPlan", "SequentialOptions", "SequentialResult", "run_sequential", "dyadic_score",
    "panel_means", "pooled_scale_score",
]
