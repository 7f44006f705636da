import pytest

from fingerprint.errors import SpecError
from fingerprint.models.spec import parse_spec


@pytest.mark.parametrize("text, provider, model", [
    ("openai/gpt-4o", "openai", "gpt-4o"),
    ("ollama/qwen2.5:7b", "ollama", "qwen2.5:7b"),
    ("vllm/org/model-name", "vllm", "org/model-name"),
    ("openai-api/together/meta-llama/Llama-3-8b", "openai-api", "together/meta-llama/Llama-3-8b"),
    ("zoo/teacher", "zoo", "teacher"),
    ("replay/data/run#reference", "replay", "data/run#reference"),
])
def test_split_on_first_slash(text, provider, model):
    spec = parse_spec(text)
    assert (spec.provider, spec.model, spec.raw) == (provider, model, text)


@pytest.mark.parametrize("text, fragment", [
    ("gpt-4o", "malformed model spec"),
    ("nosuch/model", "unknown provider 'nosuch'"),
    ("openai/", "non-empty model"),
    ("openai-api/onlyservice", "openai-api/SERVICE/MODEL"),
])
def test_bad_specs_say_what_to_do(text, fragment):
    with pytest.raises(SpecError, match=fragment):
        parse_spec(text)


def test_secret_options_never_recorded():
    spec = parse_spec("openai/gpt-4o", {"api_key": "sk-secret", "key_env": "MY_KEY", "base_url": "u"})
    assert "sk-secret" not in str(spec.to_json())
    assert spec.to_json()["options"] == {"base_url": "u", "key_env": "MY_KEY"}
