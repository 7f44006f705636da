"""The chain-of-custody part of the report view: tool, environment, evidence hashes, the
analysis log.  Values are hashes, names and counts, clipped and made one-line for display."""

from __future__ import annotations

from typing import Any

from ..run import Report
from .escape import clip, one_line


def _fmt_num(x: Any, digits: int = 3) -> str:
    try:
        return f"{float(x):.{digits}g}"
    except (TypeError, ValueError):
        return "n/a"


_HEX = frozenset("0123456789abcdef")


def _hex(value: str | None) -> str:
    """A hash or id as printed: lower-case hex only (it goes into CSS page footers too)."""
    text = (value or "").lower()
    return text if text and set(text) <= _HEX else ""


def _custody(report: Report) -> dict[str, str] | None:
    """Run id and evidence hash, the two values every printed page carries."""
    if report.custody is None:
        return None
    return {"run_id": _hex(report.custody.run_id),
            "evidence_sha256": _hex(report.custody.evidence_sha256)}


def _analysis_log(report: Report) -> dict[str, Any] | None:
    """The store's record of every analysis of the same suspect answers."""
    log = report.analysis_log or ()
    if not log:
        return None
    panels = {(e.get("reference"), tuple(e.get("controls") or ()), e.get("suite_sha256"))
              for e in log}
    rows = [{"created": one_line(e.get("created"), 40), "reference": one_line(e.get("reference"), 120),
             "controls": _clip_list([one_line(c, 120) for c in e.get("controls") or ()], 6),
             "label": one_line(e.get("label"), 30),
             "lr": _fmt_num(e.get("likelihood_ratio"), 3)} for e in log[-20:]]
    n, k = len(log), len(panels)
    text = (f"The response store records {n} analys{'is' if n == 1 else 'es'} of these suspect "
            f"answers, with {k} distinct panel{'s' if k != 1 else ''} (reference, controls, "
            "suite), this one included.")
    return {"count": n, "panels": k, "rows": rows, "text": text,
            "shown": f"the last {len(rows)}" if n > len(rows) else "all"}


def _clip_list(items: list[str], limit: int) -> str:
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit
                                       else "") or "none"


def repro_view(report: Report, model_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Section 6: what produced the run, what ties the pages to the evidence."""
    tool, env, suite, coll = report.tool, report.environment, report.suite, report.collection
    return {
        "command": clip(report.command or "n/a", 4000, 20, "report.json"),
        "tool": f"{one_line(tool.name, 40)} {one_line(tool.version, 40)}".strip(),
        "git_revision": one_line(tool.git_revision or "unknown (not run from a git checkout)", 80)
                        + (" with uncommitted changes" if tool.dirty else ""),
        "package_sha256": one_line(tool.package_sha256 or "", 80),
        "python": one_line(env.get("python") or "n/a", 60),
        "platform": one_line(env.get("platform") or "n/a", 120),
        "packages": [(one_line(k, 60), one_line(v, 60))
                     for k, v in sorted((env.get("packages") or {}).items())],
        "suite": {k: one_line(getattr(suite, k), 200)
                  for k in ("id", "version", "sha256", "source", "probes")},
        "seed": one_line(report.seed, 40),
        "models": model_rows,
        "collection": [(k.replace("_", " ").capitalize(), one_line(getattr(coll, k), 200)) for k in
                       ("requests_made", "responses_reused", "samples_total", "samples_per_probe",
                        "first_request", "last_request", "responses_file")
                       if getattr(coll, k) is not None],
        "evidence_files": [(one_line(k, 80), one_line(v, 80))
                           for k, v in sorted(report.evidence_files.items())],
        "custody": _custody(report),
        "analysis_log": _analysis_log(report),
        "schema_version": one_line(report.schema_version, 20),
        "created": one_line(report.created, 40),
    }
