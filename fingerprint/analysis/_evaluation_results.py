"""The typed evaluation of a run (filled one layer up, in :mod:`fingerprint.calibration`):
propositions, the likelihood ratio with its bounds, error rates, priors, flags, lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .._records import optional


@dataclass(frozen=True)
class Proposition:
    id: str  # "Hp", "Hd1", "Hd2"
    text: str
    addressed_by: str


@dataclass(frozen=True)
class ModelLineage:
    """What the registry and the case file say of one model's lineage."""

    model: str
    developer: tuple[str, ...]
    base: tuple[str, ...]
    data: tuple[str, ...]
    source: str  # "case file", "registry", "case file and registry" or "none"


@dataclass(frozen=True)
class RelativeInPanel:
    control: str
    relative_of: Literal["reference", "suspect"]
    shared: tuple[str, ...]


@dataclass(frozen=True)
class LineageRelation:
    """Hd2, from case information: do the reference and the suspect share a lineage, and
    which controls are relatives of either."""

    reference: ModelLineage
    suspect: ModelLineage
    shared: tuple[str, ...]  # e.g. "developer: Meta", "base: Llama 3", or a case-file statement
    relatives_in_panel: tuple[RelativeInPanel, ...]
    registry: str  # name and version of the shipped registry
    case_file: str | None = optional()  # sha256 of the --lineage file's facts


@dataclass(frozen=True)
class ErrorRates:
    """How often the label's likelihood-ratio condition fired on validation cases nearest
    this run's design (held out by pair), with Clopper–Pearson 95 % intervals."""

    rule: str
    fpr: float
    fpr_ci: tuple[float, float]
    tpr: float
    tpr_ci: tuple[float, float]
    false_positives: int
    negatives: int
    true_positives: int
    positives: int
    design: str
    note: str


@dataclass(frozen=True)
class PriorRow:
    prior: float
    posterior: float
    posterior_lower: float  # at the likelihood ratio's conservative bound
    source: str  # "1 %", "even prior", "your prior (--prior)" ...


@dataclass(frozen=True)
class Flag:
    code: str
    text: str


@dataclass(frozen=True)
class Evaluation:
    """The evaluative statement of a report (ENFSI-style): propositions, the likelihood ratio
    of the evidence under them with its conservative bound and verbal scale, the posterior
    only at a stated prior, measured error rates and flags."""

    propositions: tuple[Proposition, ...]
    statistic: float | None  # the calibration map's score of this run (validation scale)
    likelihood_ratio: float
    likelihood_ratio_lower: float
    likelihood_ratio_upper: float | None  # None: unbounded by the validation counts
    log10_likelihood_ratio: float
    verbal_scale: str
    supports: Literal["Hp", "Hd1", "neither"]
    lr_threshold: float
    prior: float
    prior_source: str
    posterior: float
    sensitivity: tuple[PriorRow, ...]
    error_rates: ErrorRates | None
    flags: tuple[Flag, ...]
    lineage: LineageRelation | None
    method: str
    validation: str
