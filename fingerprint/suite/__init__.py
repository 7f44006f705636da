"""Probe suites: the probe model, loading and validation, and suites from other sources.

A suite is versioned data (``probes/*.yaml`` by default): each probe has an ``id``, a
``version``, a ``family``, a ``rationale``, its ``messages``, sampling settings and how its
answer is read.  :func:`load_suite` reads YAML folders and files, JSONL/JSON/Parquet/CSV
files, saved datasets and ``hf:ORG/NAME``; every path validates through the same probe rules
and raises :class:`~fingerprint.errors.SuiteError` listing every problem.
"""

from ._lint import lint
from ._load import BUILT_IN_SOURCE, DEFAULT_SUITE, load_suite
from ._probe import ANSWER_TYPES, NORMALIZERS, Probe, Suite, probe_from_dict

__all__ = ["ANSWER_TYPES", "BUILT_IN_SOURCE", "DEFAULT_SUITE", "NORMALIZERS", "Probe", "Suite", "lint",
           "load_suite", "probe_from_dict"]
