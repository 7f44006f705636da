"""Spec → provider: classes, URLs and keys from the environment, per-target overrides."""

from __future__ import annotations

import importlib.util

import pytest

from fingerprint.errors import MissingKeyError, SpecError
from fingerprint.models import parse_spec
from fingerprint.models.anthropic import AnthropicProvider
from fingerprint.models.ollama import OllamaProvider
from fingerprint.models.openai import (CompatProvider, LlamaCppProvider, OpenAIProvider,
                                       VLLMProvider)
from fingerprint.models.registry import get_provider, provider_class

ENV = {"OPENAI_API_KEY": "sk-a-0000000000", "ANTHROPIC_API_KEY": "sk-ant-b-000000000",
       "MY_SERVICE_BASE_URL": "https://llm.example.net/v1", "MY_SERVICE_API_KEY": "ms-c-0000000"}


@pytest.mark.parametrize("spec,cls,base", [
    ("openai/gpt-4o", OpenAIProvider, "https://api.openai.com/v1"),
    ("anthropic/claude-sonnet-4-5", AnthropicProvider, "https://api.anthropic.com"),
    ("ollama/llama3.2:3b", OllamaProvider, "http://localhost:11434"),
    ("vllm/org/model-7b", VLLMProvider, "http://localhost:8000/v1"),
    ("llamacpp/gguf-name", LlamaCppProvider, "http://127.0.0.1:8080/v1"),
    ("openai-api/my-service/vendor/model:free", CompatProvider, "https://llm.example.net/v1"),
])
def test_every_http_provider_resolves(spec, cls, base):
    p = get_provider(parse_spec(spec), env=ENV)
    assert type(p) is cls
    assert p.identity == {"provider": p.spec.provider, "model": p.spec.model, "base_url": base}
    assert p.endpoint.startswith(base)


def test_openai_api_needs_service_url_and_key():
    with pytest.raises(MissingKeyError, match="set OTHER_SVC_BASE_URL"):
        get_provider(parse_spec("openai-api/other-svc/m"), env={})
    with pytest.raises(MissingKeyError, match="set the environment variable OTHER_SVC_API_KEY$"):
        get_provider(parse_spec("openai-api/other-svc/m"),
                     env={"OTHER_SVC_BASE_URL": "https://x.example/v1"})
    with pytest.raises(SpecError, match="SERVICE"):
        get_provider(parse_spec("openai-api/bad.svc/m"), env={})


def test_missing_openai_key_message_holds_no_value():
    with pytest.raises(MissingKeyError) as info:
        get_provider(parse_spec("openai/gpt-4o"), env={"OPENAI_BASE_URL": "https://proxy/v1"})
    assert str(info.value) == "openai/gpt-4o needs an API key: set the environment variable " \
                              "OPENAI_API_KEY"


def test_overrides_base_url_key_env_timeout_and_concurrency():
    env = dict(ENV, OPENAI_API_KEY_TEAM_B="sk-team-b-1111111")
    a = get_provider(parse_spec("openai/gpt-4o"), env=env)
    b = get_provider(parse_spec("openai/gpt-4o", {"key_env": "OPENAI_API_KEY_TEAM_B",
                                                  "base_url": "https://gw.example/v1/",
                                                  "timeout": 12, "max_concurrency": 3}), env=env)
    assert a.endpoint != b.endpoint
    assert b.identity["base_url"] == "https://gw.example/v1"
    assert b.http.timeout == 12.0 and b.max_concurrency == 3
    with pytest.raises(MissingKeyError, match="NOPE_KEY"):
        get_provider(parse_spec("vllm/m", {"key_env": "NOPE_KEY"}), env={})
    with pytest.raises(SpecError, match="timeout"):
        get_provider(parse_spec("openai/gpt-4o", {"timeout": -1}), env=env)
    with pytest.raises(SpecError, match="key_env"):
        get_provider(parse_spec("openai/gpt-4o", {"key_env": "not a var"}), env=env)


def test_env_base_url_and_credentials_in_urls_are_not_shown():
    p = get_provider(parse_spec("vllm/m"), env={"VLLM_BASE_URL": "http://u:pw@gpu:8000/v1"})
    assert p.identity["base_url"] == "http://gpu:8000/v1" and "pw" not in p.endpoint


def test_max_n_override_for_compatible_services():
    p = get_provider(parse_spec("openai-api/my-service/m", {"max_n": 8}), env=ENV)
    assert p.max_n == 8
    assert get_provider(parse_spec("openai-api/my-service/m"), env=ENV).max_n == 1


def test_zoo_and_replay_are_imported_lazily():
    assert provider_class("zoo").__name__ == "ZooProvider"
    if importlib.util.find_spec("fingerprint.models.replay") is None:
        with pytest.raises(ImportError):
            provider_class("replay")
    else:
        assert provider_class("replay").__name__ == "ReplayProvider"
    with pytest.raises(SpecError):
        provider_class("nope")
