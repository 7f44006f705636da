"""Ctrl-C in the middle of `fingerprint collect`: a clean stop, everything received kept,
and the same command finishes the job without asking for a stored sample again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from fakes.loopback import FakeOpenAIApp, LoopbackServer
from fakes.store_probe import stored_count as _count
from fingerprint.cli import main
from fakes.paths import REPO

SUITE = """
suite: {id: tiny, version: "1"}
probes:
  - {id: a, family: f, rationale: r, max_tokens: 8, messages: [{role: user, content: "Say a."}]}
  - {id: b, family: f, rationale: r, max_tokens: 8, messages: [{role: user, content: "Say b."}]}
"""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_sigint_stops_cleanly_and_the_rerun_completes(tmp_path, capsys):
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    # Slow while the child runs (40 samples take 20 s: a loaded machine still interrupts it
    # mid-run), fast for the rerun.
    app = FakeOpenAIApp(delay=1.0)
    with LoopbackServer(app) as srv:
        out, db = tmp_path / "run", tmp_path / "store.sqlite"
        args = ["collect", "--model", "llamacpp/m", "--option", f"model1:base_url={srv.url}/v1",
                "--option", "model1:max_concurrency=2", "--suite", str(suite), "--samples", "20",
                "--out", str(out), "--store", str(db), "--no-progress"]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        # A suite run as a background job (`cmd &` in a script) inherits SIGINT ignored, and
        # Python then never raises KeyboardInterrupt: give the child the default disposition.
        child = subprocess.Popen([sys.executable, "-m", "fingerprint", *args], cwd=tmp_path,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, preexec_fn=_default_sigint)
        deadline = time.monotonic() + 30
        while _count(db) < 4 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
        assert child.returncode == 130, stderr
        assert "Traceback" not in stderr and "interrupted" in stderr
        summary = json.loads((out / "collection.json").read_text())
        kept = _count(db)
        assert summary["interrupted"] and summary["samples_stored"] == kept
        assert 4 <= kept < 40 and summary["requests_made"] >= kept
        lines = (out / "responses.jsonl").read_text().splitlines()
        assert len(lines) == kept
        asked_before = len(srv.seen)
        app.delay = 0.0

        assert main(args) == 0, capsys.readouterr().err
        done = json.loads((out / "collection.json").read_text())
        assert done["samples_stored"] == 40 and done["responses_reused"] == kept
        assert done["requests_made"] == 40 - kept == len(srv.seen) - asked_before
        stored_seeds = {json.loads(line)["request"]["seed_sent"] for line in lines}
        later = [body["seed"] for _, _, body in srv.seen[asked_before:]]
        assert not stored_seeds & set(later)  # nothing stored was asked for again
