"""Limitations of one run, derived from report.json plus those the analysis listed.

Each check reads only recorded facts: how many controls there were, which controls look
like relatives of the suspect or the reference, which probes a model refused, whether a
server reported more than one model id (or backend) for one model, whether prompts may
have leaked, how many samples each probe had, and whether the probability is calibrated.
"""

from __future__ import annotations

import re
from typing import Any

from .escape import one_line

MIN_CONTROLS = 3
MIN_SAMPLES = 10
_VENDOR_PROVIDERS = {"openai", "anthropic"}
_STOP = {"chat", "instruct", "model", "base", "it", "latest", "preview", "mini", "v"}


def model_family(spec: str) -> str:
    """A coarse model-family token: the first alphabetic word of the model's last id segment.

    ``ollama/llama3.1:8b`` and ``openai-api/acme/llama-3.1-acme-8b`` both give ``llama``.
    """
    model = spec.split("/", 1)[-1].rsplit("/", 1)[-1].lower()
    for word in re.split(r"[^a-z]+", model):
        if len(word) >= 3 and word not in _STOP:
            return word
    return ""


def _roles(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    models = report.get("models") or {}
    out = [("reference", models.get("reference") or {}), ("suspect", models.get("suspect") or {})]
    out += [(f"control {i + 1}", c or {}) for i, c in enumerate(models.get("controls") or [])]
    return out


def _spec(m: dict[str, Any]) -> str:
    return one_line(m.get("spec") or f"{m.get('provider', '?')}/{m.get('model', '?')}", 120)


def _controls(report: dict[str, Any]) -> list[dict[str, str]]:
    controls = (report.get("models") or {}).get("controls") or []
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


def _relatives(report: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    roles = dict(_roles(report))
    for role, m in _roles(report):
        if not role.startswith("control"):
            continue
        fam = model_family(_spec(m))
        for other in ("suspect", "reference"):
            om = roles.get(other) or {}
            if not om:
                continue
            same_family = fam and fam == model_family(_spec(om))
            same_vendor = (m.get("provider") in _VENDOR_PROVIDERS and m.get("provider") == om.get("provider"))
            if same_family or same_vendor:
                why = f"same model family '{fam}'" if same_family else f"same vendor '{m.get('provider')}'"
                out.append({"title": "A control may share training data",
                            "text": f"{role.capitalize()} ({_spec(m)}) and the {other} ({_spec(om)}) look "
                                    f"related ({why}). Shared pre-training data or a shared base model makes "
                                    "a control resemble them for reasons other than distillation, which "
                                    "weakens the comparison."})
                break
    return out


def _refusals(report: dict[str, Any]) -> list[dict[str, str]]:
    refused: dict[str, list[str]] = {}
    for p in report.get("probes") or []:
        ref = p.get("refusals") or (p.get("statistics") or {}).get("refusals") or {}
        if not isinstance(ref, dict):
            continue
        for who, n in ref.items():
            if isinstance(n, (int, float)) and n > 0:
                refused.setdefault(str(who), []).append(one_line(p.get("id"), 80))
    out = []
    for who in sorted(refused, key=lambda w: (w != "suspect", w)):
        ids = refused[who]
        shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
        out.append({"title": f"Probes the {one_line(who, 40)} refused",
                    "text": f"The {one_line(who, 40)} refused at least one sample on {len(ids)} probe"
                            f"{'s' if len(ids) != 1 else ''} ({shown}). Refusals carry little about "
                            "training origin and reduce the evidence on those probes."})
    return out


def _served(report: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for role, m in _roles(report):
        served = m.get("served") or {}
        ids = list(dict.fromkeys(str(s) for s in served.get("models") or []))
        fps = list(dict.fromkeys(str(s) for s in served.get("system_fingerprints") or []))
        if len(ids) > 1:
            out.append({"title": "The served model changed during the run",
                        "text": f"For the {role} ({_spec(m)}) the server reported {len(ids)} different "
                                f"model ids: {', '.join(one_line(i, 80) for i in ids[:6])}. Answers may come "
                                "from different models; compare per model id before relying on them."})
        if len(fps) > 1:
            out.append({"title": "The serving backend changed during the run",
                        "text": f"For the {role} ({_spec(m)}) the server reported {len(fps)} system "
                                f"fingerprints ({', '.join(one_line(f, 40) for f in fps[:6])}): the backend "
                                "configuration changed, which can shift answer distributions slightly."})
    return out


def _leaks(report: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    leaked = [one_line(p.get("id"), 80) for p in report.get("probes") or [] if p.get("leaked")]
    leaked += [one_line(x, 80) for x in ((report.get("analysis") or {}).get("evidence") or {}).get("leaked_probes") or []]
    if leaked:
        leaked = list(dict.fromkeys(leaked))
        out.append({"title": "Prompts that leaked",
                    "text": f"{len(leaked)} probe prompt{'s' if len(leaked) != 1 else ''} may have been seen "
                            f"in training data ({', '.join(leaked[:8])}). A model can learn a leaked "
                            "prompt's expected answer without distillation."})
    suite = report.get("suite") or {}
    src = str(suite.get("source") or "")
    if suite.get("public") or src.startswith(("builtin", "package:")):
        out.append({"title": "The probe suite is public",
                    "text": f"Suite '{one_line(suite.get('id'), 60)}' ships with this tool, and example reports "
                            "publish reference answers to it. A model trained after its publication may have "
                            "seen the prompts and answers; a private suite avoids this."})
    return out


def _sampling(report: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    coll = report.get("collection") or {}
    n = coll.get("samples_per_probe")
    if (report.get("analysis") or {}).get("single_sample"):
        out.append({"title": "One answer per prompt",
                    "text": "With one answer per prompt and model there is no equality test: the "
                            "reference itself served under another name cannot be told from a "
                            "model trained on its outputs, and both read as distilled. Collect "
                            "several answers per probe to separate them."})
    elif isinstance(n, int) and n < MIN_SAMPLES:
        out.append({"title": "Few samples per probe",
                    "text": f"Only {n} samples per probe and model: per-probe tests have little power "
                            "and choice distributions are coarse."})
    reused = coll.get("responses_reused")
    if isinstance(reused, int) and reused > 0:
        out.append({"title": "Responses reused from an earlier collection",
                    "text": f"{reused:,} responses were taken from the store of an earlier run rather than "
                            "requested now; the request times in the chain of custody cover both."})
    if not (report.get("verdict") or {}).get("calibration"):
        out.append({"title": "Uncalibrated probability",
                    "text": "The verdict's probability was not calibrated on pairs of known provenance; "
                            "treat it as a score."})
    return out


def derive_limitations(report: dict[str, Any]) -> list[dict[str, str]]:
    """Derived limitations first, then ``analysis.limitations`` (deduplicated)."""
    out: list[dict[str, str]] = []
    for check in (_controls, _relatives, _refusals, _served, _leaks, _sampling):
        out.extend(check(report))
    seen = {d["text"] for d in out}
    for text in (report.get("analysis") or {}).get("limitations") or []:
        t = one_line(text, 1500)
        if t and t not in seen:
            seen.add(t)
            out.append({"title": "Noted by the analysis", "text": t})
    return out
