"""The committed example report, read through the typed schema, and edited copies of it.

Report tests render a real report rather than a hand-written one, so producer and consumer
cannot drift: every edit goes back through ``report_from_json`` and must still be valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fingerprint._records import to_json
from fingerprint.run import Report, read_report, report_from_json

from .paths import REPO

EXAMPLE = REPO / "reports" / "quickstart" / "report.json"


def example_report() -> Report:
    return read_report(EXAMPLE)


def edited(report: Report, edit: Callable[[dict[str, Any]], None]) -> Report:
    """A copy of ``report`` with ``edit`` applied to its JSON form, re-validated."""
    data = to_json(report)
    edit(data)
    return report_from_json(data)
