"""What the report says, computed once from the typed report for both the HTML and Markdown.

:func:`build_view` turns a :class:`~fingerprint.run.Report` into plain values (strings,
numbers, lists) that the templates lay out.  Strings here are *not* escaped; each template
escapes on output (HTML autoescape, Markdown finalize).
"""

from __future__ import annotations

from typing import Any

from ..analysis import DistillationTest, LineageTest, SampleCounts, TestResults
from ..run import Report
from .escape import clip, one_line, short_name
from .custody_view import repro_view
from .formatting import fmt_ci, fmt_effect, fmt_num, fmt_p, fmt_pct
from .deciding_view import identity_text, rank_line, sensitivity
from .evaluation_view import evaluation_view
from .limits import derive_limitations
from .plots import plan_plots

VERDICTS = {
    "distilled": ("Distilled",
                  "The suspect appears to have been trained on the reference's outputs."),
    "independent": ("Independent",
                    "No evidence that the suspect was trained on the reference's outputs."),
    "same_model": ("Same model", "The suspect appears to serve the reference model itself."),
    "related": ("Related",
                "A training link is found, but the two models share a lineage, so training on "
                "the reference's outputs is not separated from that shared origin."),
    "not_same_model": ("Not the same model — no distillation test without controls",
                       "The suspect is not the reference; whether it was trained on the "
                       "reference's outputs was not tested (add control models)."),
    "inconclusive": ("Inconclusive",
                     "The evidence does not settle whether the suspect was trained on the "
                     "reference's outputs."),
}
CAVEATS = {
    "distilled": "This is statistical evidence of a training link, not proof: a training source "
                 "shared by both models could also produce resemblance, and the probability is only "
                 "as good as its calibration.",
    "independent": "Absence of evidence is not evidence of absence: distillation on little data, or "
                   "on tasks these probes do not cover, can go undetected.",
    "related": "Shared developers, base weights or training data can produce resemblance without "
               "any training on the reference's outputs; case information must separate the two.",
    "not_same_model": "'Not the same model' is not 'independent': a model trained only on the "
                      "reference's outputs also reads this way without controls.",
    "same_model": "Matching answer distributions show the suspect serves the reference or an exact "
                  "copy of it; they cannot tell reselling from copied weights.",
    "inconclusive": "More probes, more samples per probe or more control models may settle the "
                    "question; no conclusion should be drawn from this run alone.",
}
DIRECTIONS = {"toward": "toward the reference", "away": "away from the reference",
              "unclear": "no clear direction"}


DIRECTION_KEYS = {"toward reference": "toward", "away": "away", "none": "unclear"}


def _model_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    m = report.models
    entries = [("Reference", m.reference), ("Suspect", m.suspect)]
    entries += [(f"Control {i + 1}", c) for i, c in enumerate(m.controls)]
    for role, e in entries:
        if e is None:
            continue
        served = e.served
        rows.append({
            "role": role, "spec": one_line(e.spec), "provider": one_line(e.provider),
            "options": ", ".join(f"{one_line(k, 40)}={one_line(v, 80)}"
                                 for k, v in sorted(e.options.items())),
            "served_models": [one_line(s, 120) for s in served.models],
            "fingerprints": [one_line(s, 80) for s in served.system_fingerprints],
            "first_request": one_line(served.first_request or "n/a"),
            "last_request": one_line(served.last_request or "n/a"),
        })
    return rows


def deciding_test(tests: TestResults) -> LineageTest | DistillationTest:
    """The distillation test the verdict used: the lineage test for one-answer runs with
    a wide panel, else the relative test."""
    return tests.distillation_lineage or tests.distillation


FIRST_PAGE_CONTROLS = 12  # the rest are listed in section 6


def _summary(report: Report) -> dict[str, Any]:
    verdict = report.verdict
    label = verdict.label
    title, headline = VERDICTS.get(label, (one_line(label, 40), "See the evidence below."))
    dist = deciding_test(report.analysis.tests)
    controls = report.models.controls
    cal = verdict.calibration
    prob_text = (f"Calibrated on {one_line(cal.trained_on or cal.name or 'labelled pairs', 300)}; "
                 f"measured calibration error (ECE) {fmt_num(cal.ece, 2)}, "
                 f"Brier score {fmt_num(cal.brier, 2)}.")
    p_dist = dist.p_value if dist.p_value is not None else verdict.p_value
    clustered = getattr(dist, "p_value_clustered", None)
    cauchy = getattr(dist, "cauchy_p_value", None)
    if controls and p_dist is not None:
        test_name = "lineage test" if dist is report.analysis.tests.distillation_lineage \
            else "relative test"
        p_text = (f"{test_name}: p = {fmt_p(clustered if clustered is not None else p_dist)} "
                  f"against the panel of {len(controls)} control model"
                  f"{'s' if len(controls) != 1 else ''} (null hypothesis: the "
                  "suspect is no closer to the reference than independent models are)"
                  + (f", with probes clustered by family ({dist.n_clusters} families, each "
                     f"counted once; this p decides); {fmt_p(p_dist)} if the probes were "
                     "independent draws" if clustered is not None else "")
                  + (f"; dependence-robust cross-check (Cauchy combination of per-probe p, "
                     f"truncated at 0.99): {fmt_p(cauchy)}" if cauchy is not None else "")
                  + ".")
    elif not controls:
        p_text = ("No control models were given, so the distillation test could not be run; only "
                  "whether the suspect is the reference itself was tested.")
    else:
        p_text = "The distillation test did not produce a p-value."
    rank_text = rank_line(report)
    counts = (f"{report.suite.probes:,} probes, {report.collection.samples_total:,} answers"
              + (f" from {2 + len(controls)} models" if controls else " from 2 models")
              + (f". {report.collection.stop_sentence.rstrip('.')}"
                 if report.collection.stop_sentence else ""))
    if report.collection.rounds:
        p_text = ("Collected sequentially: the label rests on anytime-valid e-processes, valid "
                  "however often the run looked (the verdict's p is 1/e); the fixed-budget "
                  "p-values that follow describe the collected answers but are not valid after "
                  "optional stopping. " + p_text)
    return {
        "label": label if label in VERDICTS else "inconclusive", "title": title, "headline": headline,
        "summary": one_line(verdict.summary, 1500),
        "rank_text": rank_text, "identity_text": identity_text(report),
        "reasons": [one_line(r, 600) for r in verdict.reasons],
        "more_data": one_line(verdict.more_data_needed or "", 400),
        "probability": fmt_pct(verdict.probability), "probability_text": prob_text,
        "calibrated": True, "p_value": fmt_p(p_dist), "p_text": p_text, "counts": counts,
        "caveat": CAVEATS.get(label, CAVEATS["inconclusive"]),
        "likelihood_ratio": fmt_num(verdict.likelihood_ratio),
        "prior": fmt_pct(verdict.prior),
        "evaluation": evaluation_view(report.evaluation, label),
    }


def _families(report: Report) -> tuple[list[dict[str, Any]], str]:
    rows = []
    tally = {"toward": 0, "away": 0, "unclear": 0}
    for f in report.analysis.families:
        key = DIRECTION_KEYS[f.direction]
        tally[key] += 1
        rows.append({"family": one_line(f.family, 60), "n_probes": f.n_probes,
                     "effect": fmt_effect(f.effect), "ci": fmt_ci(f.ci), "direction": key,
                     "direction_text": DIRECTIONS[key], "p_value": fmt_p(f.p_value)})
    text = (f"{tally['toward']} of {len(rows)} probe families point toward the reference, "
            f"{tally['away']} away from it, {tally['unclear']} show no clear direction.") if rows else ""
    lineage = report.analysis.tests.distillation_lineage
    if lineage is not None and lineage.decides:
        text += (" Secondary: these effects come from the relative test against the weakest "
                 "control, which did not decide this run; the verdict rests on the lineage "
                 "test (summary and the rank plot).")
    return rows, text


def _exhibits(report: Report) -> list[dict[str, Any]]:
    out = []
    where = report.collection.responses_file
    for ex in report.analysis.exhibits:
        answers = [("Suspect", ex.suspect_answer), ("Reference", ex.reference_answer),
                   ("Control", ex.control_answer)]
        out.append({
            "probe_id": one_line(ex.probe_id, 120), "family": one_line(ex.family, 60),
            "kind": one_line(ex.kind or "", 40),
            "prompt": clip(ex.prompt, 1500, 30, "the probe suite"),
            "why": one_line(ex.why, 800),
            "answers": [{"who": who, "clip": clip(a, where=where)} for who, a in answers
                        if a is not None],
        })
    return out


def _test_row(name: str, statistic: Any = None, p_value: Any = None, method: str = "",
              effect: Any = None, ci: Any = None, against: str = "") -> dict[str, Any]:
    return {"name": one_line(name, 60).replace("_", " "), "against": one_line(against, 80),
            "statistic": fmt_num(statistic) if name else fmt_num(statistic),
            "p_value": fmt_p(p_value), "effect": fmt_effect(effect), "ci": fmt_ci(ci),
            "method": one_line(method, 400)}


def _per_control(rows: list[dict[str, Any]], comps: Any) -> None:
    for pc in comps:
        rows.append(_test_row("", pc.statistic, pc.p_value, effect=pc.effect, ci=pc.ci,
                              against=pc.control))


def _tests(report: Report) -> list[dict[str, Any]]:
    t = report.analysis.tests
    rows = []
    d = t.distillation
    rows.append(_test_row("distillation", d.statistic, d.p_value, d.method))
    _per_control(rows, d.per_control)
    sc = t.distillation_suspect_centred
    rows.append(_test_row("distillation suspect centred", sc.statistic, sc.p_value, sc.method))
    _per_control(rows, sc.per_control)
    e = t.equality
    rows.append(_test_row("equality", e.statistic, e.p_value, e.method))
    if t.controls_vs_reference_equality:
        rows.append(dict(_test_row("controls vs reference equality"), statistic="", p_value=""))
        for c in t.controls_vs_reference_equality:
            rows.append(_test_row("", c.statistic, c.p_value, against=c.control))
    if t.identity is not None:
        rows.append(_test_row("identity", method=t.identity.method))
    if t.distillation_lineage is not None:
        lt = t.distillation_lineage
        rows.append(_test_row("distillation lineage", lt.statistic, lt.p_value, lt.method))
    return rows


def _method(report: Report) -> dict[str, Any]:
    analysis = report.analysis
    emb = analysis.embedder
    params = ", ".join(f"{one_line(k, 30)}={one_line(v, 60)}" for k, v in emb.params.items())
    emb_text = f"{one_line(emb.name, 80)} version {one_line(emb.version, 20)}"
    emb_text += f" ({params})" if params else ""
    cal = report.verdict.calibration
    return {
        "entries": [], "text": one_line(analysis.method, 3000), "embedder": emb_text,
        "correction": "",
        "adjusted": any(p.p_adjusted is not None for p in report.probes),
        "distillation": one_line(deciding_test(analysis.tests).method, 600),
        "equality": one_line(analysis.tests.equality.method, 600),
        "calibration": {k: one_line(getattr(cal, k), 300) for k in
                        ("name", "version", "sha256", "trained_on")},
        "ece": fmt_num(cal.ece, 2), "brier": fmt_num(cal.brier, 2),
        "n_probes": len(report.probes),
        "answers": _answers_text(report),
        "replayed": _replayed_text(report),
    }


def _answers_text(report: Report) -> str:
    """How often each model answered each probe, as it happened (not as planned)."""
    counts = {p.n_samples.reference for p in report.probes} | {
        p.n_samples.suspect for p in report.probes}
    if not counts:
        return "as the collection record states"
    if counts == {1}:
        return "once (one answer per prompt)"
    if len(counts) == 1:
        return f"{counts.pop()} times"
    return f"{min(counts)} to {max(counts)} times"


def _replayed_text(report: Report) -> str:
    """Replays say what they are: whose stored files the answers came from."""
    sources = report.collection.replay_sources or {}
    if not sources:
        return ""
    names = "; ".join(f"{one_line(src, 160)} (SHA-256 {one_line(rec.get('sha256'), 64)} over "
                      f"{len(rec.get('files') or {})} file(s))" for src, rec in sorted(sources.items()))
    return (f"Answers of the replayed models were read from stored files, not collected by "
            f"this tool: {names}. How, when and with which sampling parameters their authors "
            "generated them is not known to this report; the per-file hashes are in "
            "collection.json.")


def fmt_samples(n: SampleCounts) -> str:
    """Samples per model on one probe: ``20``, or ``R 20 · S 18 · C 20/19`` when they differ."""
    allv = [n.reference, n.suspect, *n.controls]
    if len(set(allv)) == 1:
        return str(allv[0])
    return (f"R {n.reference} · S {n.suspect}"
            + (f" · C {'/'.join(str(c) for c in n.controls)}" if n.controls else ""))


def _probes(report: Report) -> list[dict[str, Any]]:
    return [{"id": one_line(p.id, 100), "family": one_line(p.family, 60),
             "answer_type": one_line(p.answer_type, 30), "n_samples": fmt_samples(p.n_samples),
             "effect": fmt_effect(p.effect), "ci": fmt_ci(p.ci), "p_value": fmt_p(p.p_value),
             "p_adjusted": fmt_p(p.p_adjusted), "p_equality": fmt_p(p.p_value_equality)}
            for p in report.probes]


def build_view(report: Report) -> dict[str, Any]:
    """Everything the templates show, derived from ``report`` (never from a model call)."""
    models = _model_rows(report)
    families, family_text = _families(report)
    return {
        "summary": _summary(report), "models": models,
        "reference": next((m["spec"] for m in models if m["role"] == "Reference"), "n/a"),
        "suspect": next((m["spec"] for m in models if m["role"] == "Suspect"), "n/a"),
        "controls": [m["spec"] for m in models if m["role"].startswith("Control")],
        "controls_short": [short_name(m["spec"]) for m in models
                           if m["role"].startswith("Control")][:FIRST_PAGE_CONTROLS],
        "families": families, "family_text": family_text, "exhibits": _exhibits(report),
        "sensitivity": sensitivity(report),
        "tests": _tests(report), "plots": plan_plots(report), "method": _method(report),
        "limitations": derive_limitations(report),
        "repro": repro_view(report, _model_rows(report)), "probes": _probes(report),
        "created": one_line(report.created, 40),
    }
