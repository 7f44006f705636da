"""Orchestration: specs ─► collection ─► run folder ─► analysis ─► calibration ─► report.

Every stage after collection reads only the run folder, so ``verify`` and ``report`` can redo
them offline, byte for byte.
"""

from ._calibrate import calibrate, live_cases, live_evidence
from ._compare import RunRequest, collect_run, compare, preview, resolve_suite, roles_for
from ._report import build_report, load_report, write_report

__all__ = ["RunRequest", "build_report", "calibrate", "collect_run",
           "compare", "live_cases", "live_evidence", "load_report", "preview", "resolve_suite",
           "roles_for", "write_report"]
