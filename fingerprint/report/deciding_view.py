"""The parts of the report view about the deciding test: where the suspect ranks, how the
outcome depends on the panel, and the identity claims worth a first-page line."""

from __future__ import annotations

from typing import Any

from ..run import Report
from .escape import short_name
from .formatting import fmt_num, fmt_p, fmt_pct

DECISION_LEVEL = 0.05


def sensitivity(report: Report) -> dict[str, Any] | None:
    """The deciding clustered p with each control left out, and with the controls related to
    either model left out: does the test's outcome rest on one member of the panel?

    Exact for the intersection–union test: its p is the max over the comparisons, so
    leaving control k out is the max over the others' p (same sign-flip draws).  The
    likelihood ratio is not recomputed here."""
    dist = report.analysis.tests.distillation
    each = dist.p_clustered_by_comparison
    names = [c.control for c in dist.per_control]
    k = len(names)
    if not each or len(each) != 2 * k or k < 2 or report.analysis.tests.distillation_lineage:
        return None

    def without(drop: set[int]) -> float | None:
        kept = [p for j, p in enumerate(each) if j % k not in drop]
        return max(kept) if kept else None

    full = max(each)
    rows = [{"left_out": short_name(n), "p": fmt_p(without({j})),
             "changes": (without({j}) < DECISION_LEVEL) != (full < DECISION_LEVEL)}
            for j, n in enumerate(names)]
    relatives = relatives_in_panel(report)
    rel_idx = {j for j, n in enumerate(names) if n in relatives}
    if rel_idx and len(rel_idx) < k:
        p = without(rel_idx)
        rows.append({"left_out": f"every control related to either model ({len(rel_idx)})",
                     "p": fmt_p(p), "changes": (p < DECISION_LEVEL) != (full < DECISION_LEVEL)})
    return {"full": fmt_p(full), "rows": rows, "level": f"{DECISION_LEVEL:g}",
            "any_change": any(r["changes"] for r in rows)}


def relatives_in_panel(report: Report) -> dict[str, str]:
    """control name -> "relative of the suspect" etc., from the lineage facts."""
    ev = report.evaluation
    if ev is None or ev.lineage is None:
        return {}
    out: dict[str, list[str]] = {}
    for r in ev.lineage.relatives_in_panel:
        out.setdefault(r.control, []).append(f"relative of the {r.relative_of}")
    return {k: " and ".join(v) for k, v in out.items()}


def rank_line(report: Report) -> str:
    """The lineage test in words: where the suspect sits among the named controls."""
    lt = report.analysis.tests.distillation_lineage
    if lt is None or not lt.control_scores or lt.at_or_above is None:
        return ""
    k, n = len(lt.at_or_above), len(lt.control_scores)
    relatives = relatives_in_panel(report)
    named = [short_name(c) + (f" ({relatives[c]})" if c in relatives else "")
             for c in lt.at_or_above[:8]]
    more = f" and {k - 8} more" if k > 8 else ""
    where = (f"{k} of the {n} controls score{'s' if k == 1 else ''} at or above it: {', '.join(named)}{more}"
             if k else f"it scores above all {n} controls")
    return (f"The suspect's lineage score is {fmt_num(lt.statistic, 3)} (in units of the "
            f"controls' spread, each control scored exactly as the suspect); {where}.")


def identity_text(report: Report) -> str:
    """Identity claims on the first page when the suspect's rate differs from the controls'
    (its interval lies above every control's rate)."""
    ident = report.analysis.tests.identity
    if ident is None or ident.suspect is None or ident.reference is None:
        return ""
    controls = [c for c in ident.controls if c is not None]
    if not controls or ident.suspect.ci[0] <= max(c.rate for c in controls):
        return ""

    def r(x: Any) -> str:
        return (f"{x.k} of {x.n} ({fmt_pct(x.rate)}, 95 % CI {fmt_pct(x.ci[0])}–"
                f"{fmt_pct(x.ci[1])})")

    names = [c.control for c in report.analysis.tests.distillation.per_control]
    each = "; ".join(f"{short_name(n)} {c.k} of {c.n}" for n, c in zip(names, ident.controls)
                     if c is not None)
    return (f"On the identity probes the suspect gives the reference's most frequent identity "
            f"claim in {r(ident.suspect)} answers, the reference itself in {r(ident.reference)}; "
            f"the controls: {each}.")
