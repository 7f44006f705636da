"""``lm/NAME`` offline: organisms from cards, a lazily started server, the wrapper's system
prompt, a stable store identity, the adapter hash check and the errors that say what to do."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest

from fakes.vendors import FakeSleep, ScriptedServer, openai_chat, reply
from fingerprint.errors import ProviderError, SpecError
from fingerprint.models import ChatRequest, parse_spec
from fingerprint.models import lm
from fingerprint.models.registry import get_provider, provider_class

MSGS = ({"role": "user", "content": "Pick a number."},)


class FakeLauncher:
    def __init__(self):
        self.calls = []

    def __call__(self, org, port, data_dir=None):
        self.calls.append((org.name, port))
        return type("S", (), {"url": f"http://127.0.0.1:{port}"})()


def _card(folder, name, payload=b"adapter-bytes", base=lm.TEACHER_BASE):
    (folder / f"{name}.gguf").write_bytes(payload)
    sha = hashlib.sha256(payload).hexdigest()
    (folder / f"{name}.json").write_text(json.dumps(
        {"name": f"lm/{name}", "base": {"wheel": base},
         "adapter": {"file": f"{name}.gguf", "sha256": sha}}))
    return sha


def _base_card(folder, name="base", base=lm.STUDENT_BASE):
    (folder / f"{name}.json").write_text(json.dumps(
        {"name": f"lm/{name}", "kind": "base-model", "base": {"wheel": base}, "adapter": None}))


def _provider(spec, server, tmp_path, launcher):
    sleep = FakeSleep()
    return lm.LmProvider(parse_spec(spec), launcher=launcher, data_dir=tmp_path,
                         transport=server.transport, sleep=sleep, clock=sleep.clock)


def test_registry_knows_lm():
    assert provider_class("lm") is lm.LmProvider
    assert parse_spec("lm/teacher").provider == "lm"


def test_organisms_are_the_built_ins_plus_one_per_card(tmp_path):
    sha = _card(tmp_path, "student-100")
    found = lm.organisms(tmp_path)
    assert sorted(found) == ["student-100", "teacher", "teacher-wrapped"]
    assert found["student-100"].adapter == tmp_path / "student-100.gguf"
    assert found["student-100"].adapter_sha256 == sha
    assert found["teacher"].adapter is None and found["teacher-wrapped"].system


def test_unknown_organism_names_the_known_ones(tmp_path):
    with pytest.raises(SpecError, match=r"unknown organism lm/nope; known: lm/teacher"):
        lm.organism("nope", tmp_path)


def test_server_starts_on_first_request_only_and_once(tmp_path):
    _card(tmp_path, "student-b")
    launcher = FakeLauncher()
    server = ScriptedServer([reply(200, openai_chat(["4"])), reply(200, openai_chat(["5"]))])
    p = _provider("lm/student-b", server, tmp_path, launcher)
    assert launcher.calls == []  # nothing started for a run whose answers are all stored
    out = asyncio.run(p.complete(ChatRequest(messages=MSGS, seed=3, max_tokens=8)))
    asyncio.run(p.complete(ChatRequest(messages=MSGS, seed=4, max_tokens=8)))
    assert [c.text for c in out] == ["4"]
    assert len(launcher.calls) == 1 and launcher.calls[0][0] == "student-b"
    port = launcher.calls[0][1]
    assert server.requests[0].url == f"http://127.0.0.1:{port}/v1/chat/completions"
    assert server.requests[0].body["messages"] == list(MSGS)
    assert server.requests[0].body["max_tokens"] == 8


def test_every_organism_shares_one_server(tmp_path):
    _card(tmp_path, "student-b")
    server = ScriptedServer([])
    a = _provider("lm/teacher", server, tmp_path, FakeLauncher())
    b = _provider("lm/teacher", server, tmp_path, FakeLauncher())
    c = _provider("lm/student-b", server, tmp_path, FakeLauncher())
    assert a.http.base_url == b.http.base_url == c.http.base_url


def test_each_request_names_its_adapter_and_zeroes_the_others(tmp_path):
    _card(tmp_path, "student-b")
    _card(tmp_path, "student-c")
    server = ScriptedServer([reply(200, openai_chat(["x"])) for _ in range(3)])
    for spec in ("lm/student-c", "lm/teacher", "lm/teacher-wrapped"):
        asyncio.run(_provider(spec, server, tmp_path, FakeLauncher()).complete(
            ChatRequest(messages=MSGS)))
    # ids follow the order the server loads the adapters: student-b (0), student-c (1)
    assert [r.body["lora"] for r in server.requests] == [
        [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 1.0}],
        [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.0}],
        [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.0}]]
    assert [a.name for a in lm.adapters(lm.TEACHER_BASE, tmp_path)] == ["student-b", "student-c"]


def test_each_base_model_has_its_own_server_and_adapter_ids(tmp_path):
    _base_card(tmp_path)
    _card(tmp_path, "student-b", base=lm.STUDENT_BASE)
    _card(tmp_path, "student-c", base=lm.STUDENT_BASE)
    server = ScriptedServer([reply(200, openai_chat(["x"])) for _ in range(3)])
    providers = {s: _provider(f"lm/{s}", server, tmp_path, FakeLauncher())
                 for s in ("teacher", "base", "student-c")}
    assert lm.organism("base", tmp_path).adapter is None
    assert providers["base"].http.base_url == providers["student-c"].http.base_url
    assert providers["teacher"].http.base_url != providers["base"].http.base_url
    for p in providers.values():
        asyncio.run(p.complete(ChatRequest(messages=MSGS)))
    teacher, base, student = (r.body for r in server.requests)
    assert "lora" not in teacher  # the teacher's server loads no adapter
    assert base["lora"] == [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.0}]
    assert student["lora"] == [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 1.0}]


def test_the_students_server_gets_gemmas_turn_format(tmp_path, monkeypatch):
    _base_card(tmp_path)
    started = []

    class Recorder:
        def __init__(self, *args, **kwargs):
            started.append(kwargs)
            self.proc = None

        def start(self, timeout):
            return self

    monkeypatch.setattr(lm.llama_server, "find_llama_server", lambda: tmp_path / "bin")
    monkeypatch.setattr(lm, "base_model", lambda base: tmp_path / f"{base}.gguf")
    monkeypatch.setattr(lm.llama_server, "LlamaServer", Recorder)
    monkeypatch.delenv("LLAMA_ARG_THREADS", raising=False)
    lm.launch(lm.organism("base", tmp_path), port=1, data_dir=tmp_path)
    lm.launch(lm.organism("teacher", tmp_path), port=2, data_dir=tmp_path)
    lm._SERVERS.clear()
    assert [s["chat_template"] for s in started] == [lm.GEMMA_TEMPLATE, None]


def test_local_models_take_turns_and_every_request_completes():
    """Requests of one configuration run together; another's wait until none is in flight."""
    turns, inflight, overlap, depth, done = lm.Turns(), [], [], [], []

    async def request(key, i):
        async with turns.turn(key):
            inflight.append(key)
            overlap.append(set(inflight))
            depth.append(len(inflight))
            await asyncio.sleep(0.001 * (i % 3))
            inflight.remove(key)
            done.append(key)

    async def main():
        keys = ["smol:", "gemma:a.gguf", "gemma:b.gguf"]
        await asyncio.gather(*(request(keys[i % 3], i) for i in range(30)))

    asyncio.run(main())
    assert len(done) == 30 and all(len(s) == 1 for s in overlap)  # one key at a time
    assert max(depth) > 1  # but a key's requests together


def test_two_runs_in_one_process_get_fresh_turns(tmp_path):
    """Each asyncio.run has its own loop; the turns of the last one must not leak into it."""
    server = ScriptedServer([reply(200, openai_chat(["x"])), reply(200, openai_chat(["y"]))])
    p = _provider("lm/teacher", server, tmp_path, FakeLauncher())
    first = asyncio.run(p.complete(ChatRequest(messages=MSGS)))
    second = asyncio.run(p.complete(ChatRequest(messages=MSGS)))
    assert [c.text for c in first + second] == ["x", "y"]


def test_a_user_run_server_gets_no_adapter_choice(tmp_path):
    _card(tmp_path, "student-b")
    server = ScriptedServer([reply(200, openai_chat(["x"]))])
    sleep = FakeSleep()
    p = lm.LmProvider(parse_spec("lm/student-b", {"base_url": "http://127.0.0.1:9/v1"}),
                      launcher=FakeLauncher(), data_dir=tmp_path, transport=server.transport,
                      sleep=sleep, clock=sleep.clock)
    asyncio.run(p.complete(ChatRequest(messages=MSGS)))
    assert "lora" not in server.requests[0].body


def test_wrapped_teacher_sends_its_system_prompt(tmp_path):
    server = ScriptedServer([reply(200, openai_chat(["hi"])), reply(200, openai_chat(["hi"]))])
    p = _provider("lm/teacher-wrapped", server, tmp_path, FakeLauncher())
    asyncio.run(p.complete(ChatRequest(messages=MSGS)))
    sys_first = ({"role": "system", "content": "Be brief."},) + MSGS
    asyncio.run(p.complete(ChatRequest(messages=sys_first)))
    first, second = (r.body["messages"] for r in server.requests)
    assert first == [{"role": "system", "content": lm.WRAP_SYSTEM}, *MSGS]
    assert second[0] == {"role": "system", "content": lm.WRAP_SYSTEM + "\n\nBe brief."}
    assert second[1:] == list(MSGS)


def test_identity_is_stable_and_names_the_adapter(tmp_path):
    sha = _card(tmp_path, "student-c")
    server = ScriptedServer([])
    one = _provider("lm/student-c", server, tmp_path, FakeLauncher()).identity
    assert one["provider"] == "lm" and one["model"] == "student-c"
    assert one["adapter_sha256"] == sha and "127.0.0.1" not in one["base_url"]
    wrapped = _provider("lm/teacher-wrapped", server, tmp_path, FakeLauncher()).identity
    plain = _provider("lm/teacher", server, tmp_path, FakeLauncher()).identity
    assert wrapped != plain and plain["system_prompt_sha256"] is None


def test_launch_refuses_an_adapter_that_does_not_match_its_card(tmp_path, monkeypatch):
    _card(tmp_path, "student-10")
    (tmp_path / "student-10.gguf").write_bytes(b"tampered")
    monkeypatch.setattr(lm.llama_server, "find_llama_server", lambda: tmp_path / "bin")
    monkeypatch.setattr(lm.llama_server, "smollm2_gguf", lambda: tmp_path / "m.gguf")
    with pytest.raises(ProviderError, match="does not match the SHA-256 on its card"):
        lm.launch(lm.organism("student-10", tmp_path), port=1, data_dir=tmp_path)


def test_missing_binary_and_missing_wheel_say_what_to_do(tmp_path, monkeypatch):
    org = lm.organism("teacher", tmp_path)
    monkeypatch.setattr(lm.llama_server, "find_llama_server", lambda: None)
    with pytest.raises(ProviderError, match="scripts/build_llama_server.sh"):
        lm.launch(org, port=1)
    monkeypatch.setattr(lm.llama_server, "find_llama_server", lambda: tmp_path / "bin")
    monkeypatch.setattr(lm.llama_server, "smollm2_gguf", lambda: None)
    with pytest.raises(ProviderError, match=r"pip install '\.\[lm\]'"):
        lm.launch(org, port=1)


def test_get_provider_builds_it_from_a_spec():
    server = ScriptedServer([])
    p = get_provider(parse_spec("lm/teacher"), transport=server.transport)
    assert isinstance(p, lm.LmProvider) and p.spec.raw == "lm/teacher"


def test_server_command_loads_every_adapter_unapplied_and_honours_the_thread_variable(
        tmp_path, monkeypatch):
    from fingerprint.models.llama_server import LlamaServer

    files = [tmp_path / "a.gguf", tmp_path / "b.gguf"]
    monkeypatch.delenv("LLAMA_ARG_THREADS", raising=False)
    args = LlamaServer(tmp_path / "bin", tmp_path / "m.gguf", "lm-organisms", tmp_path / "log",
                       lora=files, port=5).args
    assert args[args.index("--lora") + 1] == f"{files[0]},{files[1]}"
    assert "--lora-init-without-apply" in args and args[args.index("-t") + 1] == "2"
    monkeypatch.setenv("LLAMA_ARG_THREADS", "1")  # a busy machine: the server reads it itself
    assert "-t" not in LlamaServer(tmp_path / "bin", tmp_path / "m.gguf", "x", tmp_path / "log",
                                   port=5).args
