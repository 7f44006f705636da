"""Bad input gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = """
suite: {id: tiny, version: "1"}
probes:
  - id: hello
    family: identity
    rationale: test
    messages: [{role: user, content: "Who are you?"}]
"""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fingerprint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def assert_one_clear_line(proc: subprocess.CompletedProcess, fragment: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    first = proc.stderr.strip().splitlines()[0]
    assert first.startswith("fingerprint: error:") and fragment in first, proc.stderr


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(SUITE)
    return path


def test_unknown_provider(tmp_path, suite_file):
    proc = run_cli("compare", "--ref", "zoo/teacher", "--suspect", "nosuch/x",
                   "--suite", str(suite_file), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert_one_clear_line(proc, "unknown provider 'nosuch'")


def test_malformed_spec(tmp_path, suite_file):
    proc = run_cli("compare", "--ref", "teacher", "--suspect", "zoo/student-100",
                   "--suite", str(suite_file), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert_one_clear_line(proc, "malformed model spec 'teacher'")


def test_missing_suite_file(tmp_path):
    proc = run_cli("compare", "--ref", "zoo/teacher", "--suspect", "zoo/student-100",
                   "--suite", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o"),
                   cwd=tmp_path)
    assert_one_clear_line(proc, "does not exist")


def test_output_folder_holding_another_run(tmp_path, suite_file):
    out = tmp_path / "o"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"run_id": "0000", "command": "fingerprint compare x"}))
    proc = run_cli("compare", "--ref", "zoo/teacher", "--suspect", "zoo/student-100",
                   "--suite", str(suite_file), "--out", str(out), cwd=tmp_path)
    assert_one_clear_line(proc, "holds another run")
    assert json.loads((out / "run.json").read_text())["run_id"] == "0000"  # nothing overwritten


def test_output_folder_with_unrelated_files(tmp_path, suite_file):
    out = tmp_path / "o"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    proc = run_cli("compare", "--ref", "zoo/teacher", "--suspect", "zoo/student-100",
                   "--suite", str(suite_file), "--out", str(out), cwd=tmp_path)
    assert_one_clear_line(proc, "holds no fingerprint run")


def test_bad_option_syntax(tmp_path, suite_file):
    proc = run_cli("compare", "--ref", "zoo/teacher", "--suspect", "zoo/student-100",
                   "--option", "nonsense", "--suite", str(suite_file), cwd=tmp_path)
    assert_one_clear_line(proc, "ROLE:KEY=VALUE")
