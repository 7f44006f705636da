"""From test results to a verdict label, a plain-language summary and reasons.

Decision rule (every cut is the test level alpha; nothing else is tuned):

1. Too little data (no probe allows a test) -> ``inconclusive``.
2. Equality not rejected (p_eq >= alpha):
   * with controls: ``same_model`` if the *same* equality test rejected every control vs
     the reference at this budget (so it had the power to tell models apart), else
     ``inconclusive``;
   * without controls: ``same_model`` if the budget could produce a p-value below alpha at
     all, with the caveat that power was not demonstrated, else ``inconclusive``.
3. Equality rejected (p_eq < alpha):
   * without controls: ``independent`` (meaning only "not the same model");
   * distillation test vs the panel rejects (p < alpha): ``distilled``;
   * otherwise ``independent`` if the equality test rejected every control (the budget
     tells models apart), else ``inconclusive``.
Single-sample data (one answer per prompt) has no equality test: ``distilled`` when the
pooled relative test rejects, otherwise ``independent``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy import stats as sps

POWER = 0.8


@dataclass(frozen=True)
class TestSummary:
    n_probes: int
    n_controls: int
    single_sample: bool
    p_eq: float | None
    eq_min_p: float | None  # smallest p-value the equality test could give
    controls_eq_p: list[float | None]
    p_distill: float | None
    t_distill: float | None
    n_distill_probes: int
    effect: float | None
    effect_ci: tuple[float | None, float | None]
    closeness: float | None  # fraction of the weakest control's distance closed
    weakest_control: str | None


def _probes_needed(t: float | None, n: int, alpha: float) -> int | None:
    """Probes for 80 % power if the observed standardised effect is the true one."""
    if t is None or not math.isfinite(t) or t <= 0 or n < 2:
        return None
    need = n * ((sps.norm.isf(alpha) + sps.norm.ppf(POWER)) / t) ** 2
    return int(math.ceil(max(need, n + 1)))


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def decide(s: TestSummary, alpha: float) -> dict[str, Any]:
    """The verdict dict (without ``probability``, which calibration adds)."""
    reasons: list[str] = []
    more: str | None = None
    power_shown = bool(s.controls_eq_p) and all(p is not None and p < alpha for p in s.controls_eq_p)
    what = (f"{s.n_probes} probes, reference vs suspect"
            + (f" and {s.n_controls} control model(s)" if s.n_controls else ", no controls"))
    if s.n_probes == 0 or (s.p_eq is None and s.p_distill is None):
        label = "inconclusive"
        reasons.append("no probe had enough answers from every model for a test")
        more = ("collect at least 2 answers per probe from the reference and the suspect "
                "(and at least one control) on 2 or more probes")
        summary = (f"Compared {what}. No test was possible with the answers available, so no "
                   f"conclusion can be drawn. Collect more answers and re-run.")
        return _out(label, s, summary, reasons, more)
    if s.single_sample:
        return _single(s, alpha, what)
    eq_rejected = s.p_eq is not None and s.p_eq < alpha
    if s.p_eq is not None:
        reasons.append(f"equality test suspect vs reference: p = {_fmt_p(s.p_eq)} "
                       f"({'rejected' if eq_rejected else 'not rejected'} at alpha = {alpha})")
    if s.n_controls:
        n_rej = sum(1 for p in s.controls_eq_p if p is not None and p < alpha)
        reasons.append(f"the same equality test rejected {n_rej} of {s.n_controls} controls vs "
                       f"the reference (power check)")
    if s.p_distill is not None:
        reasons.append(f"relative test (suspect closer to the reference than every control, "
                       f"{s.n_distill_probes} probes): p = {_fmt_p(s.p_distill)}")
    if not eq_rejected:
        if s.n_controls:
            if power_shown:
                label = "same_model"
                summary = (f"Compared {what}. The suspect's answers could not be told apart from "
                           f"the reference's (p = {_fmt_p(s.p_eq)}), while the same test told every "
                           f"control apart from the reference at this budget. The suspect behaves "
                           f"like the reference itself (e.g. a wrapper or resale), not merely a "
                           f"student of it; the test's false-rejection rate is {alpha:.0%}.")
            else:
                label = "inconclusive"
                more = ("more samples per probe: the equality test could not even tell all "
                        "controls from the reference, so it lacks power at this budget")
                summary = (f"Compared {what}. The suspect was not distinguishable from the "
                           f"reference (p = {_fmt_p(s.p_eq)}), but neither were some controls, so "
                           f"the test lacks power here. Collect more samples per probe.")
        else:
            if s.eq_min_p is not None and s.eq_min_p < alpha:
                label = "same_model"
                summary = (f"Compared {what}. The suspect's answers could not be told apart from "
                           f"the reference's (p = {_fmt_p(s.p_eq)}). Without control models no "
                           f"distillation verdict is possible, and the test's power to tell two "
                           f"different models apart was not demonstrated; add controls to check.")
            else:
                label = "inconclusive"
                more = "more probes or more samples per probe (no p-value below alpha was possible)"
                summary = (f"Compared {what}. Too few answers for the equality test to reject at "
                           f"alpha = {alpha}. Without controls no distillation verdict is possible.")
        return _out(label, s, summary, reasons, more)
    if not s.n_controls:
        summary = (f"Compared {what}. The suspect answers differently from the reference "
                   f"(p = {_fmt_p(s.p_eq)}), so it is not the same model. Without control models "
                   f"no distillation verdict is possible: whether it was trained on the "
                   f"reference's outputs cannot be tested; add independent controls.")
        reasons.append("no controls: 'independent' here means only 'not the same model'")
        return _out("independent", s, summary, reasons, None)
    eff = _effect_text(s)
    if s.p_distill is not None and s.p_distill < alpha:
        summary = (f"Compared {what}. The suspect differs from the reference but is closer to it "
                   f"than every control ({eff}; p = {_fmt_p(s.p_distill)}), as expected if it was "
                   f"trained on the reference's outputs. The test's false-positive rate against "
                   f"independent models as close as the controls is at most {alpha:.0%}.")
        return _out("distilled", s, summary, reasons, None)
    need = _probes_needed(s.t_distill, s.n_distill_probes, alpha)
    lean = f" If the observed lean toward the reference is real, about {need} probes would be needed to detect it with 80 % power." if need else ""
    if power_shown:
        summary = (f"Compared {what}. The suspect is not the reference and is not significantly "
                   f"closer to it than the controls ({eff}; p = {_fmt_p(s.p_distill)}), while the "
                   f"tests told models apart at this budget.{lean}")
        return _out("independent", s, summary, reasons,
                    f"about {need} probes for 80 % power at the observed effect" if need else None)
    more = (f"about {need} probes for 80 % power at the observed effect" if need
            else "more samples per probe: the equality test did not tell every control from the reference")
    summary = (f"Compared {what}. The suspect is not the reference, but the data cannot tell "
               f"whether it is closer to the reference than the controls ({eff}; p = "
               f"{_fmt_p(s.p_distill)}), and the tests did not separate every control from the "
               f"reference at this budget. Collect more data.")
    return _out("inconclusive", s, summary, reasons, more)


def _effect_text(s: TestSummary) -> str:
    if s.closeness is None:
        return "closeness n/a"
    return (f"it closes {s.closeness:.0%} of the distance between the reference and the "
            f"closest control{f' ({s.weakest_control})' if s.weakest_control else ''}")


def _single(s: TestSummary, alpha: float, what: str) -> dict[str, Any]:
    reasons = ["one answer per prompt per model: within-model variation is not estimable, so "
               "evidence is pooled across prompts and there is no equality test"]
    if not s.n_controls or s.p_distill is None:
        summary = (f"Compared {what} with one answer per prompt. Without controls nothing can be "
                   f"tested on single-sample data: add control models or collect several "
                   f"samples per probe.")
        return _out("inconclusive", s, summary, reasons, "control models or several samples per probe")
    reasons.append(f"relative similarity over {s.n_distill_probes} prompts, every control: "
                   f"p = {_fmt_p(s.p_distill)}")
    if s.p_distill < alpha:
        summary = (f"Compared {what} with one answer per prompt. The suspect's answers are more "
                   f"similar to the reference's than every control's are (p = "
                   f"{_fmt_p(s.p_distill)}), as expected after training on its outputs. A "
                   f"same-model relation cannot be told apart without repeated samples.")
        return _out("distilled", s, summary, reasons, None)
    need = _probes_needed(s.t_distill, s.n_distill_probes, alpha)
    summary = (f"Compared {what} with one answer per prompt. The suspect is not significantly "
               f"more reference-like than the controls (p = {_fmt_p(s.p_distill)}).")
    return _out("independent", s, summary, reasons,
                f"about {need} prompts for 80 % power at the observed effect" if need else None)


def _out(label: str, s: TestSummary, summary: str, reasons: list[str],
         more: str | None) -> dict[str, Any]:
    p = s.p_distill if s.n_controls and s.p_distill is not None else s.p_eq
    return {"label": label, "p_value": p, "p_value_equality": s.p_eq, "summary": summary,
            "reasons": reasons, "more_data_needed": more}
