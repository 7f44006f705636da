"""From test results to a verdict label, a plain-language summary and reasons.

:func:`decide` gives the test-based verdict; :func:`fingerprint.analysis.final_verdict`
combines it with the calibrated probability into the report's label (docs/statistics.md).

Test-based decision rule (every cut is a test level; nothing else is tuned):

The equality test has its own, stricter level ``ALPHA_EQUALITY`` (0.01).  Rejecting
equality is the step that turns "this endpoint serves the reference" into "this is a
different model" — and, with the relative test, into an accusation of distillation — so a
wrapped or resold reference should be called different at most 1 % of the time, not 5 %.
The cost is power against near-perfect copies; the power check below runs at the same level.

1. Too little data (no probe allows a test) -> ``inconclusive``.
2. Equality not rejected (p_eq >= ALPHA_EQUALITY):
   * with controls: ``same_model`` if the *same* equality test rejected every control vs
     the reference at this budget (so it had the power to tell models apart), else
     ``inconclusive``;
   * without controls: ``same_model`` if the budget could produce a p-value below ALPHA_EQUALITY at
     all, with the caveat that power was not demonstrated, else ``inconclusive``.
3. Equality rejected (p_eq < ALPHA_EQUALITY):
   * without controls: ``not_same_model`` (no distillation test without controls);
   * distillation test vs the panel rejects (p < alpha, probes clustered by family):
     ``distilled``;
   * only its reference-centred half rejects and the suspect is significantly closer to
     some control than to the reference (a control related to the suspect, or a hub
     suspect judged against one of its sources): ``inconclusive``;
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

from ._results import TestVerdict

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
    weakest_side: str | None = None  # "reference-centred" or "suspect-centred"
    p_reference_centred: float | None = None  # panel p of d = MMD²(C,R) − MMD²(S,R) alone
    p_suspect_centred: float | None = None  # panel p of d' = MMD²(S,C) − MMD²(S,R) alone
    # controls the suspect is significantly closer to than to the reference (d' < 0 at alpha)
    suspect_near_controls: tuple[str, ...] = ()
    # the panel p with probes clustered by family (several answers per probe); decides
    p_distill_clustered: float | None = None
    n_clusters: int = 0

    @property
    def p_deciding(self) -> float | None:
        """The distillation p-value the decision uses: the cluster-robust one where it
        exists (probes are not independent draws), else the probe-level one."""
        return self.p_distill_clustered if self.p_distill_clustered is not None else self.p_distill


def _probes_needed(t: float | None, n: int, alpha: float) -> int | None:
    """Probes for 80 % power if the observed standardised effect is the true one."""
    if t is None or not math.isfinite(t) or t <= 0 or n < 2:
        return None
    need = n * ((sps.norm.isf(alpha) + sps.norm.ppf(POWER)) / t) ** 2
    return int(math.ceil(max(need, n + 1)))


def fmt_p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


ALPHA_EQUALITY = 0.01


def decide(s: TestSummary, alpha: float) -> TestVerdict:
    """The test-based verdict (the final label also weighs the calibrated probability:
    :func:`fingerprint.analysis.final_verdict`)."""
    return finish_test_verdict(_decide(s, alpha), s, alpha)


def finish_test_verdict(out: dict[str, Any], s: TestSummary, alpha: float) -> TestVerdict:
    return TestVerdict(label=out["label"], p_value=out["p_value"],
                       p_value_equality=out["p_value_equality"], summary=out["summary"],
                       reasons=tuple(out["reasons"]), more_data_needed=out["more_data_needed"],
                       alpha=alpha, alpha_equality=ALPHA_EQUALITY, test_statistic=s.t_distill,
                       n_probes_tested=s.n_distill_probes, compared=describe_comparison(s),
                       single_sample=s.single_sample, test=out.get("test"))


LINEAGE_TEST = "lineage"


def describe_comparison(s: TestSummary) -> str:
    return describe_panel(s.n_probes, s.n_controls)


def describe_panel(n_probes: int, n_controls: int) -> str:
    return (f"{n_probes} probes, reference vs suspect"
            + (f" and {n_controls} control model(s)" if n_controls else ", no controls"))


def _decide(s: TestSummary, alpha: float) -> dict[str, Any]:
    reasons: list[str] = []
    more: str | None = None
    a_eq = ALPHA_EQUALITY
    power_shown = bool(s.controls_eq_p) and all(p is not None and p < a_eq for p in s.controls_eq_p)
    what = describe_comparison(s)
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
    eq_rejected = s.p_eq is not None and s.p_eq < a_eq
    if s.p_eq is not None:
        reasons.append(f"equality test suspect vs reference: p = {fmt_p(s.p_eq)} "
                       f"({'rejected' if eq_rejected else 'not rejected'} at alpha = {a_eq})")
    if s.n_controls:
        n_rej = sum(1 for p in s.controls_eq_p if p is not None and p < a_eq)
        reasons.append(f"the same equality test rejected {n_rej} of {s.n_controls} controls vs "
                       f"the reference (power check)")
    if s.p_distill is not None:
        reasons.append(f"relative test (suspect closer to the reference than every control is, "
                       f"and closer to the reference than to every control, "
                       f"{s.n_distill_probes} probes): p = {fmt_p(s.p_distill)} treating probes "
                       f"as independent"
                       + (f"; {fmt_p(s.p_distill_clustered)} with probes clustered by family "
                          f"({s.n_clusters} families, each counted once; this p decides)"
                          if s.p_distill_clustered is not None else "")
                       + (f"; with {s.n_clusters} families the clustered p cannot go below "
                          f"1/2^{s.n_clusters} = {0.5 ** s.n_clusters:.3g}, so probes from more "
                          f"families are needed to reject at {alpha}"
                          if s.p_distill_clustered is not None and 0.5 ** s.n_clusters >= alpha
                          else ""))
        hub = _hub_reason(s, alpha)
        if hub:
            reasons.append(hub)
    if not eq_rejected:
        if s.n_controls:
            if power_shown:
                label = "same_model"
                summary = (f"Compared {what}. The suspect's answers could not be told apart from "
                           f"the reference's (p = {fmt_p(s.p_eq)}), while the same test told every "
                           f"control apart from the reference at this budget. The suspect behaves "
                           f"like the reference itself (e.g. a wrapper or resale), not merely a "
                           f"student of it; the test's false-rejection rate is {a_eq:.0%}.")
            else:
                label = "inconclusive"
                more = ("more samples per probe: the equality test could not even tell all "
                        "controls from the reference, so it lacks power at this budget")
                summary = (f"Compared {what}. The suspect was not distinguishable from the "
                           f"reference (p = {fmt_p(s.p_eq)}), but neither were some controls, so "
                           f"the test lacks power here. Collect more samples per probe.")
        else:
            if s.eq_min_p is not None and s.eq_min_p < a_eq:
                label = "same_model"
                summary = (f"Compared {what}. The suspect's answers could not be told apart from "
                           f"the reference's (p = {fmt_p(s.p_eq)}). Without control models no "
                           f"distillation verdict is possible, and the test's power to tell two "
                           f"different models apart was not demonstrated; add controls to check.")
            else:
                label = "inconclusive"
                more = "more probes or more samples per probe (no p-value below alpha was possible)"
                summary = (f"Compared {what}. Too few answers for the equality test to reject at "
                           f"alpha = {a_eq}. Without controls no distillation verdict is possible.")
        return _out(label, s, summary, reasons, more)
    if not s.n_controls:
        summary = (f"Compared {what}. The suspect answers differently from the reference "
                   f"(p = {fmt_p(s.p_eq)}), so it is not the same model. Without control models "
                   f"no distillation verdict is possible: whether it was trained on the "
                   f"reference's outputs cannot be tested; add independent controls.")
        reasons.append("no controls: only the same-model question was tested")
        return _out("not_same_model", s, summary, reasons,
                    "control models unrelated to both (--control) for a distillation test")
    eff = _effect_text(s)
    if s.p_deciding is not None and s.p_deciding < alpha:
        summary = (f"Compared {what}. The suspect differs from the reference but is closer to it "
                   f"than every control is, and closer to it than to any control ({eff}; p = "
                   f"{fmt_p(s.p_deciding)}), as expected if it was trained on the reference's "
                   f"outputs (one-sided test at level {alpha}; its measured error rates are "
                   f"stated with the likelihood ratio).")
        return _out("distilled", s, summary, reasons, None)
    if _sibling_blocks(s, alpha):
        summary = (f"Compared {what}. The suspect differs from the reference and is closer to it "
                   f"than every control is (p = {fmt_p(s.p_reference_centred)}), but not closer to "
                   f"it than to every control (p = {fmt_p(s.p_deciding)}).{_hub_sentence(s, alpha)}")
        return _out("inconclusive", s, summary, reasons, "controls unrelated to both the reference "
                    "and the suspect (not the suspect's base model or siblings)")
    need = _probes_needed(s.t_distill, s.n_distill_probes, alpha)
    lean = f" If the observed lean toward the reference is real, about {need} probes would be needed to detect it with 80 % power." if need else ""
    if power_shown:
        hub = _hub_sentence(s, alpha)
        summary = (f"Compared {what}. The suspect is not the reference and is not significantly "
                   f"closer to it than to the controls ({eff}; p = {fmt_p(s.p_deciding)}), while "
                   f"the tests told models apart at this budget.{hub}{lean}")
        return _out("independent", s, summary, reasons,
                    f"about {need} probes for 80 % power at the observed effect" if need else None)
    more = (f"about {need} probes for 80 % power at the observed effect" if need
            else "more samples per probe: the equality test did not tell every control from the reference")
    summary = (f"Compared {what}. The suspect is not the reference, but the data cannot tell "
               f"whether it is closer to the reference than the controls ({eff}; p = "
               f"{fmt_p(s.p_deciding)}), and the tests did not separate every control from the "
               f"reference at this budget. Collect more data.")
    return _out("inconclusive", s, summary, reasons, more)


def _is_hub(s: TestSummary, alpha: float) -> bool:
    """Closer to the reference than the controls are, but not closer to it than to them."""
    return (s.p_reference_centred is not None and s.p_reference_centred < alpha
            and s.p_suspect_centred is not None and s.p_suspect_centred >= alpha)


def _sibling_blocks(s: TestSummary, alpha: float) -> bool:
    """The reference-centred comparison rejects, but a control the suspect is significantly
    closer to than to the reference blocks the suspect-centred one: a hub suspect and a
    student judged against its own sibling look alike here, so no label is safe."""
    return bool(s.suspect_near_controls) and s.p_reference_centred is not None \
        and s.p_reference_centred < alpha


def _hub_sentence(s: TestSummary, alpha: float) -> str:
    """The summary's explanation when only the reference-centred comparison rejects."""
    if s.suspect_near_controls:
        return (f" The suspect is closer to {', '.join(s.suspect_near_controls)} than to the "
                f"reference; if that control shares the suspect's lineage (its base model or a "
                f"sibling), it cannot rule distillation in or out: re-run with controls "
                f"unrelated to both models.")
    if _is_hub(s, alpha):
        return (" It is closer to the reference than the controls are, but no closer to the "
                "reference than to the controls: the pattern of a model trained on a mix of "
                "sources, which sits near every model, not of a student of this reference.")
    return ""


def _hub_reason(s: TestSummary, alpha: float) -> str | None:
    if s.p_reference_centred is None or s.p_suspect_centred is None:
        return None
    text = (f"closer to the reference than every control is: p = {fmt_p(s.p_reference_centred)}; "
            f"closer to the reference than to every control: p = {fmt_p(s.p_suspect_centred)}")
    if _is_hub(s, alpha) and not s.suspect_near_controls:
        text += (" (the suspect is near every model, as a model trained on a mix of sources is; "
                 "that alone is not evidence of training on the reference)")
    if s.suspect_near_controls:
        text += (f"; the suspect is significantly closer to {', '.join(s.suspect_near_controls)} "
                 f"than to the reference: if that control shares the suspect's lineage (its base "
                 f"model or a sibling), it makes this test conservative, so prefer controls "
                 f"unrelated to both models")
    return text


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
                   f"p = {fmt_p(s.p_distill)}")
    hub = _hub_reason(s, alpha)
    if hub:
        reasons.append(hub)
    if s.p_distill < alpha:
        summary = (f"Compared {what} with one answer per prompt. The suspect's answers are more "
                   f"similar to the reference's than every control's are, and more similar to the "
                   f"reference's than to any control's (p = {fmt_p(s.p_distill)}), as expected after training on its outputs. A "
                   f"same-model relation cannot be told apart without repeated samples.")
        return _out("distilled", s, summary, reasons, None)
    if _sibling_blocks(s, alpha):
        summary = (f"Compared {what} with one answer per prompt. The suspect is more "
                   f"reference-like than every control (p = {fmt_p(s.p_reference_centred)}), but "
                   f"not more like the reference than like every control (p = "
                   f"{fmt_p(s.p_distill)}).{_hub_sentence(s, alpha)}")
        return _out("inconclusive", s, summary, reasons, "controls unrelated to both the reference "
                    "and the suspect")
    need = _probes_needed(s.t_distill, s.n_distill_probes, alpha)
    hub = _hub_sentence(s, alpha)
    summary = (f"Compared {what} with one answer per prompt. The suspect is not significantly "
               f"more reference-like than the controls (p = {fmt_p(s.p_distill)}).{hub}")
    return _out("independent", s, summary, reasons,
                f"about {need} prompts for 80 % power at the observed effect" if need else None)


def _out(label: str, s: TestSummary, summary: str, reasons: list[str],
         more: str | None) -> dict[str, Any]:
    p = s.p_deciding if s.n_controls and s.p_deciding is not None else s.p_eq
    return {"label": label, "p_value": p, "p_value_equality": s.p_eq, "summary": summary,
            "reasons": reasons, "more_data_needed": more}
