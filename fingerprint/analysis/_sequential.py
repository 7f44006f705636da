"""One round of sequential collection ─► its e-values, and the evidence accumulated over rounds.

Every number of a round is computed on that round's fresh answers only (docs/statistics.md,
"Sequential collection"), so each round's e-values are valid given every earlier round and
their running products are test supermartingales.  The schedule and the stopping rule that
read this state live in :mod:`._sequential_run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..features.embed import Embedder
from ..stats.cluster import cluster_means
from ..stats.mmd import mmd2_unbiased, mmd_test
from ..stats.perm import membership, standardised_sum
from ..stats.relative import relative_statistic, suspect_centred_statistic
from ..stats.sequential import (SIGN_BETS, TILTS, mixture_e_process, randomization_e_value,
                                sign_bet_e_values, upper_confidence_sequence)
from ..suite import Probe
from ._probe import probe_data


@dataclass(frozen=True)
class SequentialOptions:
    """How a sequential comparison collects and when it stops (recorded in run.json)."""

    samples_per_round: int | None = 2  # new answers per probe and model in one round;
    # None: chosen by the comparison from what one request buys (pipeline.round_samples)
    probes_per_family: int = 2  # probes of each family in one round
    margin: float = 0.1  # futility: closeness below this (fraction of the competing distance)
    equivalence_margin: float = 0.1  # same model: distance below this fraction of every control's
    n_permutations: int = 199  # relabellings per probe for the equality e-value
    min_rounds: int = 3  # rounds before a confidence bound may stop the collection

    def to_json(self) -> dict[str, Any]:
        return {"samples_per_round": self.samples_per_round,
                "probes_per_family": self.probes_per_family, "margin": self.margin,
                "equivalence_margin": self.equivalence_margin,
                "n_permutations": self.n_permutations, "min_rounds": self.min_rounds}


def _pair(k: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    idx = np.concatenate([a, b])
    return k[np.ix_(idx, idx)]


@dataclass
class RoundStats:
    """What one round adds: e-values (one per bet or tilt) and the means the confidence
    bounds use.  ``None`` where the round had no data for that question."""

    equality: np.ndarray | None
    controls_equality: list[np.ndarray | None]
    comparisons: list[np.ndarray | None]  # d_1..d_K, d'_1..d'_K (sign bets over families)
    futility: list[float | None]  # mean of d - margin * competing distance, per comparison
    equivalence: list[float | None]  # mean of MMD²(S,R) - eq_margin * MMD²(C_k,R), per control


def round_stats(probes: Sequence[Probe], texts: dict[str, dict[str, list[str]]],
                active: Sequence[int], n_controls: int, embedder: Embedder,
                rng: np.random.Generator, options: SequentialOptions,
                past: dict[str, dict[str, list[str]]] | None = None) -> RoundStats:
    """The round's statistics from its answers: ``texts[role][probe_id]`` for roles
    ``reference``, ``suspect`` and ``control k`` (k in ``active``, counted from 1).
    ``past`` holds the earlier rounds' answers: the equality tests bet with a witness
    learned from them (only the fresh answers' labels are permuted)."""
    K = n_controls
    past = past or {}
    eq: list[tuple[float, np.ndarray]] = []
    ctrl_eq: dict[int, list[tuple[float, np.ndarray]]] = {k: [] for k in active}
    rel: dict[int, list[tuple[float, float, str]]] = {}  # comparison -> (d, competing, family)
    equiv: dict[int, list[float]] = {k: [] for k in active}
    roles = ["reference", "suspect"] + [f"control {k}" for k in active]
    for probe in probes:
        old = [past.get(role, {}).get(probe.id, []) for role in roles]
        new = [texts[role].get(probe.id, []) for role in roles]
        both = [o + n for o, n in zip(old, new)]
        data = probe_data(probe, both[0], both[1], both[2:], embedder)
        kern = data.kernel
        fresh = [g[len(o):] for g, o in zip(data.groups, old)]
        before = [g[:len(o)] for g, o in zip(data.groups, old)]
        r, s = fresh[0], fresh[1]
        if len(r) < 2 or len(s) < 2:
            continue
        eq.append(_equality_null(kern, s, r, before[1], before[0], rng, options.n_permutations))
        for k, c, c_old in zip(active, fresh[2:], before[2:]):
            if len(c) < 2:
                continue
            ctrl_eq[k].append(_equality_null(kern, c, r, c_old, before[0], rng,
                                             options.n_permutations))
            dist_cr = mmd2_unbiased(_pair(kern, c, r), len(c))
            if len(before[0]) and len(before[1]) and len(c_old):
                # witness statistics: unbiased for MMD², with no pair of answers that were
                # drawn with one request seed (models asked with equal seeds can be coupled)
                equiv[k].append(eq[-1][0] - options.equivalence_margin * ctrl_eq[k][-1][0])
            d = relative_statistic(kern, r, s, c)
            d_sc = suspect_centred_statistic(kern, r, s, c)
            dist_sc = mmd2_unbiased(_pair(kern, s, c), len(s))
            rel.setdefault(k - 1, []).append((d, dist_cr, probe.family))
            rel.setdefault(K + k - 1, []).append((d_sc, dist_sc, probe.family))
    comps: list[np.ndarray | None] = [None] * (2 * K)
    fut: list[float | None] = [None] * (2 * K)
    for j, rows in rel.items():
        means = cluster_means([d for d, _, _ in rows], [f for _, _, f in rows])
        comps[j] = sign_bet_e_values(means, SIGN_BETS)
        fut[j] = float(np.mean([d - options.margin * c for d, c, _ in rows]))
    ce: list[np.ndarray | None] = [None] * K
    ev: list[float | None] = [None] * K
    for k in active:
        ce[k - 1] = _equality_e(ctrl_eq[k])
        ev[k - 1] = float(np.mean(equiv[k])) if equiv[k] else None
    return RoundStats(equality=_equality_e(eq), controls_equality=ce, comparisons=comps,
                      futility=fut, equivalence=ev)


def _equality_null(kern: np.ndarray, x: np.ndarray, y: np.ndarray, x_old: np.ndarray,
                   y_old: np.ndarray, rng: np.random.Generator,
                   n_perm: int) -> tuple[float, np.ndarray]:
    """Is fresh ``x`` distributed as fresh ``y``?  The statistic and its values under ``n_perm``
    random relabellings of the fresh answers.  With earlier answers of both, the statistic
    is the difference of the fresh answers' mean witness, ``w = mean k(., x_old) -
    mean k(., y_old)`` (the kernel witness learned from the past, as in Shekhar & Ramdas
    2023); without, the unbiased MMD² of the fresh answers."""
    m = membership(rng, len(x) + len(y), len(x), n_perm)
    if len(x_old) and len(y_old):
        pool = np.concatenate([x, y])
        w = kern[np.ix_(pool, x_old)].mean(axis=1) - kern[np.ix_(pool, y_old)].mean(axis=1)
        obs = float(w[:len(x)].mean() - w[len(x):].mean())
        null = (m @ w) / len(x) - ((1.0 - m) @ w) / len(y)
        return obs, null
    res = mmd_test(_pair(kern, x, y), len(x), memberships=m)
    return res.statistic, res.null


def _equality_e(rows: list[tuple[float, np.ndarray]]) -> np.ndarray | None:
    """The permutation e-value of the round's joint (standardised, summed) MMD² statistic."""
    if not rows:
        return None
    total, null, used = standardised_sum([t for t, _ in rows], [n for _, n in rows])
    if used == 0:
        return np.ones(len(TILTS))
    scale = np.sqrt(used)
    return randomization_e_value(total / scale, null / scale, TILTS)


@dataclass
class _Process:
    """One question's e-process: the rounds' e-values and whether it ever reached 1/alpha."""

    rounds: list[np.ndarray] = field(default_factory=list)
    crossed_at: int | None = None  # first round (0-based) at which it reached the threshold

    def add(self, e: np.ndarray | None, threshold: float, index: int) -> None:
        if e is None:
            return
        self.rounds.append(e)
        if self.crossed_at is None and self.value >= threshold:
            self.crossed_at = index

    @property
    def value(self) -> float:
        return float(mixture_e_process(np.array(self.rounds))[-1]) if self.rounds else 1.0

    @property
    def peak(self) -> float:
        return float(mixture_e_process(np.array(self.rounds)).max()) if self.rounds else 1.0

    @property
    def crossed(self) -> bool:
        return self.crossed_at is not None


class Evidence:
    """The evidence of every question after the rounds so far (docs/statistics.md)."""

    def __init__(self, n_controls: int, alpha: float, alpha_equality: float):
        self.K, self.alpha, self.alpha_eq = n_controls, alpha, alpha_equality
        self.equality = _Process()
        self.controls_equality = [_Process() for _ in range(n_controls)]
        self.comparisons = [_Process() for _ in range(2 * n_controls)]
        self.futility: list[list[float]] = [[] for _ in range(2 * n_controls)]
        self.equivalence: list[list[float]] = [[] for _ in range(n_controls)]
        self.rounds = 0

    def add(self, stats: RoundStats) -> None:
        i = self.rounds
        self.equality.add(stats.equality, 1.0 / self.alpha_eq, i)
        for p, e in zip(self.controls_equality, stats.controls_equality):
            p.add(e, 1.0 / self.alpha_eq, i)
        for p, e in zip(self.comparisons, stats.comparisons):
            p.add(e, 1.0 / self.alpha, i)
        for acc, y in zip(self.futility, stats.futility):
            if y is not None:
                acc.append(y)
        for acc, v in zip(self.equivalence, stats.equivalence):
            if v is not None:
                acc.append(v)
        self.rounds += 1

    @property
    def power_shown(self) -> bool:
        return self.K > 0 and all(p.crossed for p in self.controls_equality)

    @property
    def distillation(self) -> float:
        """The panel's evidence: the smallest comparison's e-process (intersection–union);
        a comparison that has reached 1/alpha counts as rejected from then on."""
        if not self.K:
            return 1.0
        return min(max(p.peak, 1.0 / self.alpha) if p.crossed else p.value
                   for p in self.comparisons)

    def settled(self, k: int) -> bool:
        """Control ``k`` (from 1) needs no more answers: its equality test and both of its
        comparisons have rejected, and the suspect is known not to be the reference."""
        return (self.equality.crossed and self.controls_equality[k - 1].crossed
                and self.comparisons[k - 1].crossed and self.comparisons[self.K + k - 1].crossed)

    def futility_bounds(self, level: float) -> list[float]:
        return [upper_confidence_sequence(v, level) for v in self.futility]

    def equivalence_bounds(self, level: float) -> list[float]:
        return [upper_confidence_sequence(v, level) for v in self.equivalence]


__all__ = ["Evidence", "RoundStats", "SequentialOptions", "round_stats"]
