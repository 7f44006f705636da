"""Limitations of one run, derived from the typed report.

Each check reads only recorded facts: how many controls there were, which controls look
like relatives of the suspect or the reference, whether a server reported more than one
model id (or backend) for one model, whether the suite is the public one, and how many
samples each probe had.
"""

from __future__ import annotations

import re
from ..run import ModelEntry, Report
from ..suite import BUILT_IN_SOURCE
from .escape import one_line, short_name

MIN_CONTROLS = 3
MIN_SAMPLES = 10
_VENDOR_PROVIDERS = {"openai", "anthropic"}
_STOP = {"chat", "instruct", "model", "base", "it", "latest", "preview", "mini", "v"}


def model_family(spec: str) -> str:
    """A coarse model-family token: the first alphabetic word of the model's name (after ``#``
    for a replayed corpus model, else the last path segment).

    ``ollama/llama3.1:8b`` and ``openai-api/acme/llama-3.1-acme-8b`` both give ``llama``.
    """
    model = spec.split("#", 1)[1] if "#" in spec else spec.split("/", 1)[-1].rsplit("/", 1)[-1]
    for word in re.split(r"[^a-z]+", model.lower()):
        if len(word) >= 3 and word not in _STOP:
            return word
    return ""


def _short(spec: str) -> str:
    return short_name(spec)


def _roles(report: Report) -> list[tuple[str, ModelEntry]]:
    m = report.models
    out = [(role, e) for role, e in (("reference", m.reference), ("suspect", m.suspect)) if e]
    out += [(f"control {i + 1}", c) for i, c in enumerate(m.controls)]
    return out


def _controls(report: Report) -> list[dict[str, str]]:
    controls = report.models.controls
    if not controls:
        return [{"title": "No control models",
                 "text": "Without controls the distillation test cannot be run: only whether the "
                         "suspect is the reference itself was tested. Re-run with several independent "
                         "control models (--control)."}]
    if len(controls) < MIN_CONTROLS:
        return [{"title": "Few control models",
                 "text": f"Only {len(controls)} control model{'s' if len(controls) > 1 else ''}: how close "
                         "an unrelated model gets to the reference is estimated from very few examples, "
                         f"so the test has little power and the null is fragile. Use {MIN_CONTROLS} or more."}]
    return []


def _relatives(report: Report) -> list[dict[str, str]]:
    """Controls related to either model: from the lineage facts the evaluation recorded
    (registry and case file), one limitation per relation; reports without them fall back to
    a shared name family."""
    lineage = report.evaluation.lineage if report.evaluation else None
    if lineage is not None:
        groups: dict[tuple[str, str], list[str]] = {}
        for rel in lineage.relatives_in_panel:
            groups.setdefault((rel.relative_of, "; ".join(rel.shared)), []).append(rel.control)
        out = []
        for (of, shared), controls in sorted(groups.items(),
                                             key=lambda g: (-g[0][1].count(";"), -len(g[1]))):
            names = ", ".join(_short(c) for c in controls[:8]) + (
                f" and {len(controls) - 8} more" if len(controls) > 8 else "")
            effect = ("makes the test conservative: a real student can hide behind its own "
                      "relatives" if of == "suspect" else "raises the bar: the reference's "
                      "relatives resemble it for reasons other than distillation")
            out.append({"title": f"Control{'s' if len(controls) > 1 else ''} related to the {of}",
                        "text": f"{len(controls)} control{'s share' if len(controls) > 1 else ' shares'} "
                                f"a lineage with the {of} ({one_line(shared, 200)}): {names}. This "
                                f"{effect}; drop them (or list them in --lineage) to see the "
                                "comparison against unrelated models only."})
        return out
    out = []
    roles = dict(_roles(report))
    for role, m in _roles(report):
        if not role.startswith("control"):
            continue
        fam = model_family(m.spec)
        for other in ("suspect", "reference"):
            om = roles.get(other)
            if om is None:
                continue
            same_family = fam and fam == model_family(om.spec)
            same_vendor = m.provider in _VENDOR_PROVIDERS and m.provider == om.provider
            if same_family or same_vendor:
                why = f"same model family '{fam}'" if same_family else f"same vendor '{m.provider}'"
                out.append({"title": "A control may share training data",
                            "text": f"{role.capitalize()} ({one_line(m.spec, 120)}) and the {other} "
                                    f"({one_line(om.spec, 120)}) look related ({why}). Shared "
                                    "pre-training data or a shared base model makes a control "
                                    "resemble them for reasons other than distillation, which "
                                    "weakens the comparison."})
                break
    return out


def _served(report: Report) -> list[dict[str, str]]:
    out = []
    for role, m in _roles(report):
        ids = list(dict.fromkeys(m.served.models))
        fps = list(dict.fromkeys(m.served.system_fingerprints))
        spec = one_line(m.spec, 120)
        if len(ids) > 1:
            out.append({"title": "The served model changed during the run",
                        "text": f"For the {role} ({spec}) the server reported {len(ids)} different "
                                f"model ids: {', '.join(one_line(i, 80) for i in ids[:6])}. Answers may come "
                                "from different models; compare per model id before relying on them."})
        if len(fps) > 1:
            out.append({"title": "The serving backend changed during the run",
                        "text": f"For the {role} ({spec}) the server reported {len(fps)} system "
                                f"fingerprints ({', '.join(one_line(f, 40) for f in fps[:6])}): the backend "
                                "configuration changed, which can shift answer distributions slightly."})
    return out


def _public_suite(report: Report) -> list[dict[str, str]]:
    suite = report.suite
    if not suite.source.startswith(BUILT_IN_SOURCE):
        return []
    return [{"title": "The probe suite is public",
             "text": f"Suite '{one_line(suite.id, 60)}' ships with this tool, and example reports "
                     "publish reference answers to it. A model trained after its publication may have "
                     "seen the prompts and answers; a private suite avoids this."}]


def _sampling(report: Report) -> list[dict[str, str]]:
    out = []
    coll = report.collection
    n = coll.samples_per_probe
    if report.analysis.single_sample:
        out.append({"title": "One answer per prompt",
                    "text": "With one answer per prompt and model there is no equality test: the "
                            "reference itself served under another name cannot be told from a "
                            "model trained on its outputs, and both read as distilled. Collect "
                            "several answers per probe to separate them."})
    elif n < MIN_SAMPLES:
        out.append({"title": "Few samples per probe",
                    "text": f"Only {n} samples per probe and model: per-probe tests have little power "
                            "and choice distributions are coarse."})
    if coll.responses_reused > 0:
        out.append({"title": "Responses reused from an earlier collection",
                    "text": f"{coll.responses_reused:,} responses were taken from the store of an earlier run rather than "
                            "requested now; the request times in the chain of custody cover both."})
    return out


def _design(report: Report) -> list[dict[str, str]]:
    """A run outside the design its likelihood ratio was validated on."""
    ev = report.evaluation
    flags = [f for f in (ev.flags if ev else ()) if f.code in ("design_outside_validation",
                                                               "outside_validated_range",
                                                               "clipped")]
    if not flags:
        return []
    return [{"title": "Outside the validated design",
             "text": " ".join(one_line(f.text, 400).rstrip(".") + "." for f in flags)
             + " The likelihood ratio and error rates are those of the nearest validated cases."}]


def derive_limitations(report: Report) -> list[dict[str, str]]:
    """The limitations of this run, each derived from recorded facts."""
    out: list[dict[str, str]] = []
    for check in (_controls, _relatives, _served, _public_suite, _design, _sampling):
        out.extend(check(report))
    return out
