"""The typed results of an analysis, filled by both the several-answers and the one-answer
paths and written to ``report.json`` only at the edge (:func:`fingerprint._records.to_json`).

Field names are the report's JSON keys; ``optional()`` fields are left out while None, so a
result carries only what its path computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .._records import optional
from ._evaluation_results import Evaluation

Side = Literal["reference-centred", "suspect-centred"]
SIDES: tuple[Side, Side] = ("reference-centred", "suspect-centred")
Direction = Literal["toward reference", "away", "none"]
#: verdict labels; ``related`` (a link, shared lineage not excluded) and ``not_same_model``
#: (no controls: only the equality question was asked) sit beside the original four
Label = Literal["same_model", "distilled", "related", "independent", "inconclusive",
                "not_same_model"]
Interval = tuple[float | None, float | None]


@dataclass(frozen=True)
class Comparison:
    """One of the 2K comparisons of the distillation panel: a side and a control."""

    side: Side
    control: int  # index into the control panel

    @staticmethod
    def all(n_controls: int) -> tuple[Comparison, ...]:
        """Panel order: every reference-centred comparison, then every suspect-centred one."""
        return tuple(Comparison(side, k) for side in SIDES for k in range(n_controls))


@dataclass(frozen=True)
class PooledComparison:
    """One comparison pooled over probes: its t statistic, p-value, mean effect, interval."""

    control: str
    statistic: float | None
    p_value: float | None
    effect: float | None
    ci: Interval
    closeness: float | None
    n_probes: int


@dataclass(frozen=True)
class DistillationTest:
    statistic: float | None
    p_value: float | None
    weakest_control: str | None
    weakest_side: Side | None
    p_value_reference_centred: float | None
    p_value_suspect_centred: float | None
    per_control: tuple[PooledComparison, ...]
    cauchy_p_value: float | None
    method: str
    p_value_clustered: float | None = optional()  # probes clustered by family
    n_clusters: int | None = optional()
    # each comparison's clustered p: toward-reference d_1..d_K, then suspect-centred d'_1..d'_K
    p_clustered_by_comparison: tuple[float, ...] | None = optional()


@dataclass(frozen=True)
class SuspectCentredTest:
    statistic: float | None
    p_value: float | None
    per_control: tuple[PooledComparison, ...]
    method: str


@dataclass(frozen=True)
class EqualityTest:
    statistic: float | None
    p_value: float | None
    n_probes: int
    method: str


@dataclass(frozen=True)
class ControlEquality:
    control: str
    statistic: float | None
    p_value: float | None
    n_probes: int


@dataclass(frozen=True)
class Rate:
    k: int
    n: int
    rate: float
    ci: tuple[float, float]


@dataclass(frozen=True)
class IdentityAgreement:
    reference: Rate | None
    suspect: Rate | None
    controls: tuple[Rate | None, ...]
    method: str


@dataclass(frozen=True)
class LineageTest:
    statistic: float
    p_value: float
    decides: bool
    method: str
    # The rank on show: every control scored exactly as the suspect (itself held out)
    control_names: tuple[str, ...] | None = optional()
    control_scores: tuple[float, ...] | None = optional()
    at_or_above: tuple[str, ...] | None = optional()  # controls scoring at or above the suspect


@dataclass(frozen=True)
class TestResults:
    distillation: DistillationTest
    distillation_suspect_centred: SuspectCentredTest
    equality: EqualityTest
    controls_vs_reference_equality: tuple[ControlEquality, ...]
    identity: IdentityAgreement | None
    distillation_lineage: LineageTest | None = optional()


@dataclass(frozen=True)
class Evidence:
    """The numbers a calibration map reads (by name) and a report quotes."""

    n_probes: int
    n_controls: int
    single_sample: int
    samples_per_probe: float
    distill_p: float | None
    distill_z: float | None
    distill_t_min: float | None
    distill_t_min_reference_centred: float | None
    distill_t_min_suspect_centred: float | None
    distill_p_reference_centred: float | None
    distill_p_suspect_centred: float | None
    effect_standardized: float | None
    closeness_min: float | None
    cauchy_p: float | None
    cauchy_z: float | None
    equality_p: float | None
    equality_z: float | None
    controls_equality_p_max: float | None
    # several answers per probe: inherited quirks
    identity_agreement_suspect: float | None = optional()
    identity_agreement_max_control: float | None = optional()
    identity_agreement_diff: float | None = optional()
    choice_agreement_suspect: float | None = optional()
    choice_agreement_max_control: float | None = optional()
    choice_agreement_diff: float | None = optional()
    # one answer per prompt: the corpus lineage score on the run's own panel
    lineage_z: float | None = optional()
    lineage_p: float | None = optional()
    # several answers per probe: the panel p with probes clustered by family
    distill_p_clustered: float | None = optional()

    def as_dict(self) -> dict[str, Any]:
        """Name → value, for calibration maps that read evidence by feature name."""
        from .._records import to_json

        return to_json(self)


@dataclass(frozen=True)
class SampleCounts:
    reference: int
    suspect: int
    controls: tuple[int, ...]


@dataclass(frozen=True)
class ProbeRow:
    """One probe's statistics (the report's per-probe table)."""

    id: str
    family: str
    answer_type: str
    n_samples: SampleCounts
    statistics: dict[str, Any]
    p_value: float | None
    p_value_equality: float | None
    p_adjusted: float | None
    effect: float | None
    ci: Interval


@dataclass(frozen=True)
class FamilyResult:
    family: str
    n_probes: int
    effect: float | None
    ci: Interval
    direction: Direction
    p_value: float | None


@dataclass(frozen=True)
class Exhibit:
    probe_id: str
    family: str
    prompt: str
    suspect_answer: str
    reference_answer: str
    control_answer: str | None
    why: str
    kind: str | None = optional()  # most reference-like | drawn at random | least reference-like


@dataclass(frozen=True)
class FamilySimilarity:
    family: str
    reference_self: float | None
    suspect: float | None
    controls: tuple[float | None, ...]
    control_names: tuple[str, ...]


@dataclass(frozen=True)
class NullDistribution:
    statistic: str
    observed: float
    null: tuple[float, ...]
    null_method: str


@dataclass(frozen=True)
class ProjectionPoint:
    x: float
    y: float
    model: str


@dataclass(frozen=True)
class Projection:
    probe_id: str
    method: str
    points: tuple[ProjectionPoint, ...]


@dataclass(frozen=True)
class ChoiceCounts:
    probe_id: str
    categories: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]  # per model (reference, suspect, controls), per category
    models: tuple[str, ...]


@dataclass(frozen=True)
class PlotData:
    family_similarity: tuple[FamilySimilarity, ...]
    null_distribution: NullDistribution | None
    projection: Projection | None
    choice_counts: tuple[ChoiceCounts, ...]


@dataclass(frozen=True)
class EmbedderRecord:
    name: str
    version: str
    params: dict[str, Any]


@dataclass(frozen=True)
class TestVerdict:
    """What the tests alone conclude (the final label also weighs the calibration)."""

    label: Label
    p_value: float | None
    p_value_equality: float | None
    summary: str
    reasons: tuple[str, ...]
    more_data_needed: str | None
    alpha: float
    alpha_equality: float
    test_statistic: float | None
    n_probes_tested: int
    compared: str
    single_sample: bool
    test: str | None = optional()


@dataclass(frozen=True)
class AnalysisResult:
    """The ``analysis`` section of report.json."""

    embedder: EmbedderRecord
    single_sample: bool
    families: tuple[FamilyResult, ...]
    tests: TestResults
    evidence: Evidence
    exhibits: tuple[Exhibit, ...]
    plot_data: PlotData
    method: str


@dataclass(frozen=True)
class Analysis:
    """What :func:`fingerprint.analysis.analyze` returns."""

    result: AnalysisResult
    probes: tuple[ProbeRow, ...]
    test_verdict: TestVerdict


@dataclass(frozen=True)
class CalibrationInfo:
    """Which calibration map gave the probability, and its measured error."""

    name: str
    version: str
    file: str
    segment: str | None
    sha256: str
    trained_on: str | None
    ece: float | None
    ece_bins: int | None
    bin_counts: tuple[int, ...] | None
    brier: float | None
    cv_scheme: str | None
    metrics: dict[str, Any] | None
    thresholds: dict[str, Any] | None
    plain_summary: str | None


@dataclass(frozen=True)
class Calibrated:
    """What a calibration map says about one run's evidence (made one layer up)."""

    probability: float
    probability_at_base_rate: float
    likelihood_ratio: float
    log10_likelihood_ratio: float
    prior: float
    prior_source: str
    calibration: CalibrationInfo
    label_from_calibration: str | None
    missing_evidence: tuple[str, ...]
    calibration_note: str | None = optional()
    probability_note: str | None = optional()
    evaluation: Evaluation | None = optional()


@dataclass(frozen=True)
class Verdict:
    """The report's verdict: the test's outcome, the calibrated probability and the final
    label of both (built in one place, :func:`fingerprint.analysis.final_verdict`)."""

    label: Label
    summary: str
    reasons: tuple[str, ...]
    more_data_needed: str | None
    label_from_test: Label
    p_value: float | None
    p_value_equality: float | None
    alpha: float
    alpha_equality: float
    test_statistic: float | None
    n_probes_tested: int
    compared: str
    single_sample: bool
    probability: float
    probability_at_base_rate: float
    likelihood_ratio: float
    log10_likelihood_ratio: float
    prior: float
    prior_source: str
    calibration: CalibrationInfo
    label_from_calibration: str | None
    missing_evidence: tuple[str, ...]
    test: str | None = optional()
    calibration_note: str | None = optional()
    probability_note: str | None = optional()

