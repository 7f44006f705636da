"""The run folder: its layout, the manifest of its files, and ``verify``.

A run folder holds everything one comparison produced (docs/report.md): ``run.json`` (the
configuration and its id), ``suite.json``, ``responses.jsonl`` (every raw request and
response), ``collection.json``, ``report.json`` and the renderings, and ``manifest.json``
(the SHA-256 of every other file).  :func:`recompute` redoes the analysis, calibration and
verdict from these files alone; :func:`verify` checks the hashes and the recomputation.
"""

from ._environment import environment_info, git_revision, tool_info
from ._folder import (CALIBRATION_COPY, COLLECTION_FILE, LINEAGE_FILE, REPORT_FILE, RESPONSES_FILE, RUN_FILE,
                      SUITE_FILE, prepare, read_json, read_responses, read_suite, run_id,
                      write_json, write_responses, write_suite, write_text)
from ._manifest import (EVIDENCE_FILES, MANIFEST_FILE, SIGNATURE_FILE, check_manifest,
                        evidence_digest, evidence_files, sha256_file, write_manifest)
from ._recompute import Recomputed, RunData, analyze_run, read_run, recompute
from ._report_file import (SCHEMA_VERSION, AnalysisOptions, Collection, Custody, ModelEntry, Models,
                           Report, Served, SuiteInfo, ToolInfo, read_report, report_from_json,
                           write_report_json)
from ._signature import check_signature, public_key_fingerprint, sign_run
from ._verify import verify

__all__ = ["AnalysisOptions", "CALIBRATION_COPY", "COLLECTION_FILE", "Collection", "Custody",
           "EVIDENCE_FILES", "LINEAGE_FILE", "MANIFEST_FILE", "SIGNATURE_FILE", "ModelEntry", "Models", "REPORT_FILE", "RESPONSES_FILE", "RUN_FILE",
           "Recomputed", "Report", "RunData", "SCHEMA_VERSION", "SUITE_FILE", "Served",
           "SuiteInfo", "ToolInfo", "analyze_run", "check_manifest", "check_signature",
           "environment_info", "evidence_digest", "evidence_files",
           "git_revision", "prepare", "public_key_fingerprint", "read_json", "read_report", "read_responses", "read_run",
           "read_suite", "recompute", "report_from_json", "run_id", "sha256_file", "sign_run",
           "tool_info",
           "verify", "write_json", "write_manifest", "write_report_json", "write_responses",
           "write_suite", "write_text"]
