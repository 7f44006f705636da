"""Orchestration: specs ─► collection ─► run folder ─► analysis ─► calibration ─► report.

Every stage after collection reads only the run folder, so ``verify`` and ``report`` can redo
them offline, byte for byte.
"""

from ._calibrate import calibrate, live_cases, live_evidence
from ._compare import (SCHEMA_VERSION, RunRequest, build_report, collect_run, compare,
                       load_report, resolve_suite, roles_for, write_report)

__all__ = ["SCHEMA_VERSION", "RunRequest", "build_report", "calibrate", "collect_run",
           "compare", "live_cases", "live_evidence", "load_report", "resolve_suite",
           "roles_for", "write_report"]
