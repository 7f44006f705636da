"""The run folder: its layout, the manifest of its files, and ``verify``.

A run folder holds everything one comparison produced (docs/report.md): ``run.json`` (the
configuration and its id), ``suite.json``, ``responses.jsonl`` (every raw request and
response), ``collection.json``, ``report.json`` and the renderings, and ``manifest.json``
(the SHA-256 of every other file).  :func:`recompute` redoes the analysis, calibration and
verdict from these files alone; :func:`verify` checks the hashes and the recomputation.
"""

from ._environment import environment_info, git_revision, tool_info
from ._folder import (CALIBRATION_COPY, COLLECTION_FILE, REPORT_FILE, RESPONSES_FILE, RUN_FILE,
                      SUITE_FILE, prepare, read_json, read_responses, read_suite, run_id,
                      write_json, write_responses, write_suite, write_text)
from ._manifest import MANIFEST_FILE, check_manifest, sha256_file, write_manifest
from ._recompute import analyze_run, recompute
from ._verify import verify

__all__ = ["CALIBRATION_COPY", "COLLECTION_FILE", "MANIFEST_FILE", "REPORT_FILE",
           "RESPONSES_FILE", "RUN_FILE", "SUITE_FILE", "analyze_run", "check_manifest",
           "environment_info", "git_revision", "prepare", "read_json", "read_responses",
           "read_suite", "recompute", "run_id", "sha256_file", "tool_info", "verify",
           "write_json", "write_manifest", "write_responses", "write_suite", "write_text"]
