"""The evidence path of a sequential run: every question's e-process after each round."""

from __future__ import annotations

import math
from typing import Any

from ..run import Report


def has_rounds(report: Report) -> bool:
    return bool(report.collection.rounds)


def _log10(x: Any) -> float:
    if x is None:
        return math.inf  # to_json writes an overflowing e-value as null
    return math.log10(max(float(x), 1e-12))


def draw_evidence_path(fig: Any, report: Report) -> None:
    """log10 of the equality and distillation e-processes against answers collected, with the
    thresholds 1/alpha_equality and 1/alpha (Ville's inequality: crossing either by chance
    has probability at most that level, however often the run looked)."""
    rounds = list(report.collection.rounds or ())
    v = report.verdict
    fig.set_size_inches(6.4, 3.4)
    ax = fig.add_subplot(1, 1, 1)
    x = [r["answers_total"] for r in rounds]
    series = [("suspect = reference? (equality)", [r["evidence"]["equality"] for r in rounds],
               "#D55E00", "-", "o")]
    if report.models.controls:
        series.append(("distilled? (smallest comparison)",
                       [r["evidence"]["distillation"] for r in rounds], "#0072B2", "--", "s"))
    cap = 12.0
    for name, ys, colour, ls, marker in series:
        ax.plot(x, [min(cap, _log10(y)) for y in ys], color=colour, ls=ls, marker=marker,
                ms=3, label=name)
    ax.axhline(math.log10(1 / v.alpha_equality), color="#D55E00", lw=0.8, ls=":",
               label=f"equality rejects (1/{v.alpha_equality:g})")
    if report.models.controls:
        ax.axhline(math.log10(1 / v.alpha), color="#0072B2", lw=0.8, ls=":",
                   label=f"distillation rejects (1/{v.alpha:g})")
    ax.set_xlabel("answers collected (all models)")
    ax.set_ylabel(f"log10 e-value (capped at {cap:g})")
    ax.legend(loc="upper left", fontsize=7, frameon=False)
