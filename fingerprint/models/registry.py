"""From a :class:`ModelSpec` to a ready :class:`Provider`.

Provider modules are imported lazily so that, say, a replay-only run never builds an HTTP
client and a zoo run never needs a key.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from .base import Provider
from .spec import KNOWN_PROVIDERS, ModelSpec

# provider name → (module, class) for the HTTP providers
_HTTP_PROVIDERS = {
    "openai": ("openai", "OpenAIProvider"),
    "vllm": ("openai", "VLLMProvider"),
    "llamacpp": ("openai", "LlamaCppProvider"),
    "lm": ("lm", "LmProvider"),
    "openai-api": ("openai", "CompatProvider"),
    "anthropic": ("anthropic", "AnthropicProvider"),
    "ollama": ("ollama", "OllamaProvider"),
}


def provider_class(name: str) -> type[Provider]:
    """The class serving provider ``name`` (imported on first use)."""
    if name == "zoo":
        from .zoo_provider import ZooProvider
        return ZooProvider
    if name == "replay":
        from .replay import ReplayProvider
        return ReplayProvider
    if name in _HTTP_PROVIDERS:
        import importlib

        module, cls = _HTTP_PROVIDERS[name]
        return getattr(importlib.import_module(f"{__package__}.{module}"), cls)
    raise SpecError(f"unknown provider {name!r}; use one of: {', '.join(KNOWN_PROVIDERS)}")


def get_provider(spec: ModelSpec, **http_options: Any) -> Provider:
    """Build the provider for ``spec``.

    ``http_options`` (``env``, ``transport``, ``sleep``, ``clock``) go to HTTP providers
    only; tests use them to inject a fake server, a fake sleep and a fixed clock.
    Raises :class:`SpecError` or :class:`MissingKeyError` (naming the variable to set).
    """
    cls = provider_class(spec.provider)
    if spec.provider in _HTTP_PROVIDERS:
        return cls(spec, **http_options)
    return cls(spec)
