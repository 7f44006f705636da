"""kill -9 in the middle of a collection, then resume: nothing stored is lost or re-bought."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from fakes.paths import REPO
from fakes.loopback import FakeOpenAIApp, LoopbackServer
from fakes.store_probe import stored_count as _count
from fingerprint.collect import Target, collect
from fingerprint.collect.store import Store
from fingerprint.models import parse_spec
from fingerprint.models.registry import get_provider
from fingerprint.suite import Probe

SAMPLES, PROBES = 12, 3

CHILD = """
import sys
from fingerprint.collect import Target, collect
from fingerprint.collect.store import Store
from fingerprint.models import parse_spec
from fingerprint.models.registry import get_provider
from fingerprint.suite import Probe

url, db = sys.argv[1], sys.argv[2]
probes = tuple(Probe(id=f"p{i}", family="f", version=1, rationale="r",
                     messages=({"role": "user", "content": f"question {i}"},)) for i in range(3))
spec = parse_spec("llamacpp/m", {"base_url": url, "max_concurrency": 2})
with Store(db) as store:
    collect([Target("suspect", get_provider(spec, env={}))], probes, samples=12, seed=5,
            store=store)
"""


def _probes():
    return tuple(Probe(id=f"p{i}", family="f", version=1, rationale="r",
                       messages=({"role": "user", "content": f"question {i}"},))
                 for i in range(PROBES))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_9_then_resume(tmp_path):
    db = tmp_path / "store.sqlite"
    app = FakeOpenAIApp(delay=0.08)
    with LoopbackServer(app) as srv:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        child = subprocess.Popen([sys.executable, "-c", CHILD, srv.url + "/v1", str(db)],
                                 cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while _count(db) < 8 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        kept = _count(db)
        total = SAMPLES * PROBES
        assert 8 <= kept < total, f"child stored {kept} samples before the kill"
        served_before = app.good
        spec = parse_spec("llamacpp/m", {"base_url": srv.url + "/v1", "max_concurrency": 4})
        with Store(db) as store:
            result = collect([Target("suspect", get_provider(spec, env={}))], _probes(),
                             samples=SAMPLES, seed=5, store=store)
            assert store.count() == total
        assert result.responses_reused == kept
        assert result.requests_made == total - kept
        assert app.good - served_before == total - kept
        for probe in _probes():
            got = result.samples[("suspect", probe.id)]
            assert [s.sample_index for s in got] == list(range(SAMPLES))
