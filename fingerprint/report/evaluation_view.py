"""The evaluative part of the report's first screen: propositions, the likelihood ratio with
its bound and verbal scale, measured error rates, the posterior at stated priors, and flags.
Plain strings; the templates escape them."""

from __future__ import annotations

from typing import Any

from ..analysis import Evaluation
from .escape import one_line


def fmt_lr(x: float | None) -> str:
    if x is None:
        return "unbounded"
    if x >= 10:
        return f"{x:,.0f}"
    return f"{x:.2g}"


def _pct(x: float) -> str:
    return f"{x:.1%}" if 0 < x < 0.1 else f"{x:.0%}"


def _interval(ci: tuple[float, float]) -> str:
    return f"95 % CI {_pct(ci[0])}–{_pct(ci[1])}"


def evaluation_view(ev: Evaluation | None, label: str) -> dict[str, Any] | None:
    if ev is None:
        return None
    if label == "not_same_model" or ev.statistic is None:
        weight = f"Likelihood ratio 1: {ev.verbal_scale}."
    else:
        upper = ("no upper bound from the validation counts" if ev.likelihood_ratio_upper is None
                 else f"at most {fmt_lr(ev.likelihood_ratio_upper)}")
        weight = (f"Likelihood ratio {fmt_lr(ev.likelihood_ratio)} (conservatively at least "
                  f"{fmt_lr(ev.likelihood_ratio_lower)}; {upper}): {ev.verbal_scale}. The evidence is "
                  f"about {fmt_lr(ev.likelihood_ratio)} times as probable under Hp as under Hd1.")
    rates = None
    if ev.error_rates is not None:
        r = ev.error_rates
        rates = (f"The condition of a 'distilled' label ({r.rule}) was met by "
                 f"{r.false_positives} of {r.negatives} non-distilled validation cases "
                 f"(false-positive rate {_pct(r.fpr)}, {_interval(r.fpr_ci)}) and by "
                 f"{r.true_positives} of {r.positives} distilled ones (true-positive rate "
                 f"{_pct(r.tpr)}, {_interval(r.tpr_ci)}). Validation design: {r.design}. "
                 f"{r.note[0].upper()}{r.note[1:]}.")
    rows = [{"prior": row.source if row.source.endswith(")") else f"{row.prior:.0%}",
             "posterior": _pct(row.posterior), "posterior_lower": _pct(row.posterior_lower)}
            for row in ev.sensitivity]
    return {
        "propositions": [{"id": p.id, "text": one_line(p.text, 300),
                          "addressed_by": one_line(p.addressed_by, 300)} for p in ev.propositions],
        "weight": one_line(weight, 600),
        "likelihood_ratio": fmt_lr(ev.likelihood_ratio),
        "likelihood_ratio_lower": fmt_lr(ev.likelihood_ratio_lower),
        "verbal_scale": one_line(ev.verbal_scale, 200),
        "posterior": (f"{_pct(ev.posterior)} at {one_line(ev.prior_source, 200)}; this "
                      "probability is the likelihood ratio applied to that prior, and the prior "
                      "belongs to the reader"),
        "sensitivity": rows, "error_rates": one_line(rates, 1500) if rates else None,
        "flags": [one_line(f.text, 600) for f in ev.flags],
        "threshold": f"{ev.lr_threshold:g}",
        "validation": one_line(ev.validation, 600), "method": one_line(ev.method, 600),
    }
