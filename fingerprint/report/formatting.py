"""How numbers print in the report: one p-value format, effects, intervals, percentages."""

from __future__ import annotations

from typing import Any

from ..analysis import fmt_p as format_p


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def fmt_p(p: Any) -> str:
    """The one p-value format of the report: 4.2e-11, 0.0031, 0.047, 0.52 (docs/report.md)."""
    v = _num(p)
    if v is None:
        return "n/a"
    return format_p(v)


def fmt_num(x: Any, digits: int = 3) -> str:
    v = _num(x)
    return "n/a" if v is None else f"{v:.{digits}g}"


def fmt_effect(x: Any) -> str:
    v = _num(x)
    return "n/a" if v is None else f"{v:+.2f}"


def fmt_ci(ci: Any) -> str:
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_num(c) is not None for c in ci):
        return f"[{float(ci[0]):+.2f}, {float(ci[1]):+.2f}]"
    return "n/a"


def fmt_pct(p: Any) -> str:
    v = _num(p)
    if v is None:
        return "n/a"
    if v >= 0.995:
        return "> 99%"
    if v < 0.005:
        return "< 1%"
    return f"{100 * v:.0f}%"
