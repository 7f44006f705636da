"""Model specs: ``provider/model`` split on the first ``/`` (model ids keep slashes and colons).

Per-target overrides (base URL, the name of the variable that holds the key, extra model
arguments) ride along in :attr:`ModelSpec.options`; they come from the command line, never
from the spec string, so a spec stays a plain, citable model name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError

KNOWN_PROVIDERS = (
    "openai", "anthropic", "ollama", "vllm", "llamacpp", "openai-api", "zoo", "replay", "lm",
)

_PROVIDER_RE = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class ModelSpec:
    provider: str
    model: str
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def raw(self) -> str:
        return f"{self.provider}/{self.model}"

    def __str__(self) -> str:
        return self.raw

    def to_json(self) -> dict[str, Any]:
        """The spec as recorded in reports: options minus anything secret-looking."""
        safe = {k: v for k, v in sorted(self.options.items())
                if ("key" not in k or k == "key_env") and k not in ("extra", "headers")}
        if isinstance(self.options.get("extra"), dict):
            # Extra body fields are recorded by name only: a user may put a token in one.
            safe["extra_fields"] = sorted(self.options["extra"])
        return {"spec": self.raw, "provider": self.provider, "model": self.model, "options": safe}


def parse_spec(text: str, options: dict[str, Any] | None = None) -> ModelSpec:
    """Parse ``provider/model``; raise :class:`SpecError` with a fix on bad input."""
    if not isinstance(text, str) or "/" not in text:
        raise SpecError(
            f"malformed model spec {text!r}: expected PROVIDER/MODEL, e.g. zoo/teacher or "
            f"openai/gpt-4o (providers: {', '.join(KNOWN_PROVIDERS)})"
        )
    provider, model = text.split("/", 1)
    provider = provider.strip().lower()
    model = model.strip()
    if not _PROVIDER_RE.match(provider) or not model:
        raise SpecError(
            f"malformed model spec {text!r}: expected PROVIDER/MODEL with a non-empty model name"
        )
    if provider not in KNOWN_PROVIDERS:
        raise SpecError(
            f"unknown provider {provider!r} in model spec {text!r}; "
            f"use one of: {', '.join(KNOWN_PROVIDERS)}"
        )
    if provider == "openai-api" and "/" not in model:
        raise SpecError(
            f"malformed model spec {text!r}: openai-api needs openai-api/SERVICE/MODEL "
            "(URL and key from SERVICE_BASE_URL and SERVICE_API_KEY)"
        )
    return ModelSpec(provider, model, dict(options or {}))
