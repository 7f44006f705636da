"""What the report says, computed once from report.json for both the HTML and Markdown.

:func:`build_view` turns report.json into plain values (strings, numbers, lists) that
the templates lay out.  It tolerates missing optional parts: a report without controls,
plots, calibration or exhibits still renders and says what is missing.  Strings here are
*not* escaped; each template escapes on output (HTML autoescape, Markdown finalize).
"""

from __future__ import annotations

from typing import Any

from .escape import clip, one_line
from .limits import derive_limitations
from .plots import plan_plots

VERDICTS = {
    "distilled": ("Distilled",
                  "The suspect appears to have been trained on the reference's outputs."),
    "independent": ("Independent",
                    "No evidence that the suspect was trained on the reference's outputs."),
    "same_model": ("Same model", "The suspect appears to serve the reference model itself."),
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
    "same_model": "Matching answer distributions show the suspect serves the reference or an exact "
                  "copy of it; they cannot tell reselling from copied weights.",
    "inconclusive": "More probes, more samples per probe or more control models may settle the "
                    "question; no conclusion should be drawn from this run alone.",
}
DIRECTIONS = {"toward": "toward the reference", "away": "away from the reference",
              "unclear": "no clear direction"}


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def fmt_p(p: Any) -> str:
    v = _num(p)
    if v is None:
        return "n/a"
    if v < 0.0001:
        return "< 0.0001"
    return f"{v:.4f}" if v < 0.01 else f"{v:.3f}"


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


def direction_key(fam: dict[str, Any]) -> str:
    """``toward``, ``away`` or ``unclear``: the family's ``direction`` field, else its interval."""
    raw = str(fam.get("direction") or "").lower()
    if raw:
        if "away" in raw or "indep" in raw or "farther" in raw or raw.startswith("-"):
            return "away"
        if "toward" in raw or "distil" in raw or "closer" in raw or raw.startswith("+"):
            return "toward"
        return "unclear"
    ci = fam.get("ci")
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_num(c) is not None for c in ci):
        if float(ci[0]) > 0:
            return "toward"
        if float(ci[1]) < 0:
            return "away"
    return "unclear"


def _model_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    models = report.get("models") or {}
    rows = []
    entries = [("Reference", models.get("reference")), ("Suspect", models.get("suspect"))]
    entries += [(f"Control {i + 1}", c) for i, c in enumerate(models.get("controls") or [])]
    for role, m in entries:
        if not m:
            continue
        served = m.get("served") or {}
        opts = m.get("options") or {}
        rows.append({
            "role": role, "spec": one_line(m.get("spec") or f"{m.get('provider')}/{m.get('model')}"),
            "provider": one_line(m.get("provider") or ""),
            "options": ", ".join(f"{one_line(k, 40)}={one_line(v, 80)}" for k, v in sorted(opts.items())),
            "served_models": [one_line(s, 120) for s in served.get("models") or []],
            "fingerprints": [one_line(s, 80) for s in served.get("system_fingerprints") or []],
            "first_request": one_line(served.get("first_request") or "n/a"),
            "last_request": one_line(served.get("last_request") or "n/a"),
        })
    return rows


def deciding_test(tests: dict[str, Any]) -> dict[str, Any]:
    """The distillation test the verdict used: the lineage rank test for one-answer runs with
    a wide panel, else the relative test."""
    return tests.get("distillation_lineage") or tests.get("distillation") or {}


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    verdict = report.get("verdict") or {}
    label = str(verdict.get("label") or "inconclusive")
    title, headline = VERDICTS.get(label, (one_line(label, 40), "See the evidence below."))
    analysis = report.get("analysis") or {}
    dist = deciding_test(analysis.get("tests") or {})
    controls = (report.get("models") or {}).get("controls") or []
    cal = verdict.get("calibration") or {}
    prob = verdict.get("probability")
    if _num(prob) is None:
        prob_text = "No calibrated probability was computed for this run."
    elif cal:
        prob_text = (f"Calibrated on {one_line(cal.get('trained_on') or cal.get('name') or 'labelled pairs', 300)}; "
                     f"measured calibration error (ECE) {fmt_num(cal.get('ece'), 2)}, "
                     f"Brier score {fmt_num(cal.get('brier'), 2)}.")
    else:
        prob_text = ("Not calibrated: read it as a score that ranks cases, not as a measured "
                     "probability.")
    p_dist = dist.get("p_value", verdict.get("p_value"))
    if controls and _num(p_dist) is not None:
        p_shown = fmt_p(p_dist)
        p_shown = p_shown if p_shown.startswith("<") else "= " + p_shown
        p_text = (f"p {p_shown} against the panel of {len(controls)} control model"
                  f"{'s' if len(controls) != 1 else ''} (null hypothesis: the "
                  "suspect is no closer to the reference than independent models are).")
    elif not controls:
        p_text = ("No control models were given, so the distillation test could not be run; only "
                  "whether the suspect is the reference itself was tested.")
    else:
        p_text = "The distillation test did not produce a p-value."
    suite = report.get("suite") or {}
    coll = report.get("collection") or {}
    n_probes = suite.get("probes") or len(report.get("probes") or [])
    n_answers = coll.get("samples_total")
    counts = (f"{n_probes:,} probes" if isinstance(n_probes, int) else "an unknown number of probes")
    counts += (f", {n_answers:,} answers" if isinstance(n_answers, int) else "")
    counts += f" from {2 + len(controls)} models" if controls else " from 2 models"
    return {
        "label": label if label in VERDICTS else "inconclusive", "title": title, "headline": headline,
        "summary": one_line(verdict.get("summary") or "", 1500),
        "reasons": [one_line(r, 600) for r in verdict.get("reasons") or []],
        "more_data": one_line(verdict.get("more_data_needed") or "", 400),
        "probability": fmt_pct(prob), "probability_text": prob_text, "calibrated": bool(cal),
        "p_value": fmt_p(p_dist), "p_text": p_text, "counts": counts,
        "caveat": CAVEATS.get(label, CAVEATS["inconclusive"]),
        "likelihood_ratio": fmt_num(verdict.get("likelihood_ratio")),
        "prior": fmt_pct(verdict.get("prior")) if _num(verdict.get("prior")) is not None else "",
    }


def _families(report: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    rows = []
    tally = {"toward": 0, "away": 0, "unclear": 0}
    for f in (report.get("analysis") or {}).get("families") or []:
        key = direction_key(f)
        tally[key] += 1
        rows.append({"family": one_line(f.get("family"), 60), "n_probes": f.get("n_probes", "n/a"),
                     "effect": fmt_effect(f.get("effect")), "ci": fmt_ci(f.get("ci")),
                     "direction": key, "direction_text": DIRECTIONS[key], "p_value": fmt_p(f.get("p_value"))})
    text = (f"{tally['toward']} of {len(rows)} probe families point toward the reference, "
            f"{tally['away']} away from it, {tally['unclear']} show no clear direction.") if rows else ""
    return rows, text


def _exhibits(report: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for ex in (report.get("analysis") or {}).get("exhibits") or []:
        where = (report.get("collection") or {}).get("responses_file") or "responses.jsonl"
        answers = [("Suspect", ex.get("suspect_answer")), ("Reference", ex.get("reference_answer")),
                   (f"Control ({one_line(ex['control'], 80)})" if ex.get("control") else "Control",
                    ex.get("control_answer"))]
        out.append({
            "probe_id": one_line(ex.get("probe_id"), 120), "family": one_line(ex.get("family"), 60),
            "prompt": clip(ex.get("prompt"), 1500, 30, "the probe suite"),
            "why": one_line(ex.get("why") or "", 800),
            "answers": [{"who": who, "clip": clip(a, where=where)} for who, a in answers if a is not None],
        })
    return out


def _tests(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    tests = (report.get("analysis") or {}).get("tests") or {}
    for name, t in tests.items():
        if isinstance(t, list):  # one entry per control, e.g. controls_vs_reference_equality
            rows.append({"name": one_line(name, 60).replace("_", " "), "against": "", "statistic": "",
                         "p_value": "", "effect": "", "ci": "", "method": ""})
            t = {"per_control": t}
        elif not isinstance(t, dict):
            continue
        else:
            rows.append({"name": one_line(name, 60).replace("_", " "), "against": "",
                         "statistic": fmt_num(t.get("statistic")), "p_value": fmt_p(t.get("p_value")),
                         "effect": fmt_effect(t.get("effect")), "ci": fmt_ci(t.get("ci")),
                         "method": one_line(t.get("method") or "", 400)})
        for pc in t.get("per_control") or []:
            if not isinstance(pc, dict):
                continue
            rows.append({"name": "", "against": one_line(pc.get("control"), 80),
                         "statistic": fmt_num(pc.get("statistic")), "p_value": fmt_p(pc.get("p_value")),
                         "effect": fmt_effect(pc.get("effect")), "ci": fmt_ci(pc.get("ci")), "method": ""})
    return rows


def _method(report: dict[str, Any]) -> dict[str, Any]:
    analysis = report.get("analysis") or {}
    method = analysis.get("method")
    items: list[tuple[str, str]] = []
    text = ""
    if isinstance(method, dict):
        items = [(one_line(k, 60).replace("_", " ").capitalize(), one_line(v, 800))
                 for k, v in method.items()]
    elif method:
        text = one_line(method, 3000)
    emb = analysis.get("embedder") or {}
    emb_text = ""
    if emb:
        params = ", ".join(f"{one_line(k, 30)}={one_line(v, 60)}" for k, v in (emb.get("params") or {}).items())
        emb_text = f"{one_line(emb.get('name'), 80)} version {one_line(emb.get('version'), 20)}"
        emb_text += f" ({params})" if params else ""
    tests = analysis.get("tests") or {}
    cal = (report.get("verdict") or {}).get("calibration") or {}
    return {
        "entries": items, "text": text, "embedder": emb_text,
        "correction": one_line(method.get("correction") or "", 600) if isinstance(method, dict) else "",
        "adjusted": any(p.get("p_adjusted") is not None for p in report.get("probes") or []),
        "distillation": one_line(deciding_test(tests).get("method") or "", 600),
        "equality": one_line((tests.get("equality") or {}).get("method") or "", 600),
        "calibration": {k: one_line(cal.get(k), 300) for k in
                        ("name", "version", "sha256", "trained_on")} if cal else {},
        "ece": fmt_num(cal.get("ece"), 2), "brier": fmt_num(cal.get("brier"), 2),
        "n_probes": len(report.get("probes") or []),
    }


def _repro(report: dict[str, Any]) -> dict[str, Any]:
    tool = report.get("tool") or {}
    env = report.get("environment") or {}
    suite = report.get("suite") or {}
    coll = report.get("collection") or {}
    return {
        "command": clip(report.get("command") or "n/a", 4000, 20, "report.json"),
        "tool": f"{one_line(tool.get('name') or 'fingerprint', 40)} {one_line(tool.get('version') or '', 40)}".strip(),
        "git_revision": one_line(tool.get("git_revision") or "unknown", 80),
        "python": one_line(env.get("python") or "n/a", 60), "platform": one_line(env.get("platform") or "n/a", 120),
        "packages": [(one_line(k, 60), one_line(v, 60)) for k, v in sorted((env.get("packages") or {}).items())],
        "suite": {k: one_line(suite.get(k) if suite.get(k) is not None else "n/a", 200)
                  for k in ("id", "version", "sha256", "source", "probes")},
        "seed": one_line(report.get("seed") if report.get("seed") is not None else "n/a", 40),
        "models": _model_rows(report),
        "collection": [(k.replace("_", " ").capitalize(), one_line(coll.get(k), 200)) for k in
                       ("requests_made", "responses_reused", "samples_total", "samples_per_probe",
                        "first_request", "last_request", "responses_file") if coll.get(k) is not None],
        "manifest_sha256": one_line(report.get("manifest_sha256") or "", 80),
        "schema_version": one_line(report.get("schema_version") or "n/a", 20),
        "created": one_line(report.get("created") or "n/a", 40),
    }


def fmt_samples(n: Any) -> str:
    """Samples per model on one probe: ``20``, or ``R 20 · S 18 · C 20/19`` when they differ."""
    if isinstance(n, dict):
        ctrl = [c for c in n.get("controls") or [] if isinstance(c, int)]
        allv = [v for v in (n.get("reference"), n.get("suspect"), *ctrl) if isinstance(v, int)]
        if allv and len(set(allv)) == 1:
            return str(allv[0])
        return (f"R {n.get('reference', '?')} · S {n.get('suspect', '?')}"
                + (f" · C {'/'.join(str(c) for c in ctrl)}" if ctrl else ""))
    return one_line(n if n is not None else "n/a", 40)


def _probes(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": one_line(p.get("id"), 100), "family": one_line(p.get("family"), 60),
             "answer_type": one_line(p.get("answer_type") or "", 30), "n_samples": fmt_samples(p.get("n_samples")),
             "effect": fmt_effect(p.get("effect")), "ci": fmt_ci(p.get("ci")), "p_value": fmt_p(p.get("p_value")),
             "p_adjusted": fmt_p(p.get("p_adjusted")), "p_equality": fmt_p(p.get("p_value_equality"))}
            for p in report.get("probes") or []]


def build_view(report: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates show, derived from ``report`` (never from a model call)."""
    models = _model_rows(report)
    families, family_text = _families(report)
    return {
        "summary": _summary(report), "models": models,
        "reference": next((m["spec"] for m in models if m["role"] == "Reference"), "n/a"),
        "suspect": next((m["spec"] for m in models if m["role"] == "Suspect"), "n/a"),
        "controls": [m["spec"] for m in models if m["role"].startswith("Control")],
        "families": families, "family_text": family_text, "exhibits": _exhibits(report),
        "tests": _tests(report), "plots": plan_plots(report), "method": _method(report),
        "limitations": derive_limitations(report), "repro": _repro(report), "probes": _probes(report),
        "created": one_line(report.get("created") or "n/a", 40),
    }
