"""Where each provider finds its base URL and API key.

Keys come from the vendors' own environment variables.  A :class:`ModelSpec` may
override the URL (``options["base_url"]``) and the *name* of the variable that holds the
key (``options["key_env"]``), so two accounts of one vendor can be compared.  Key values
never leave this module except inside an :class:`Endpoint`, whose ``repr`` hides them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import MissingKeyError, SpecError
from .spec import ModelSpec


@dataclass(frozen=True)
class Endpoint:
    """A resolved server: URL, the variable the key came from, and the key itself."""

    base_url: str
    key_var: str | None
    key: str | None = field(default=None, repr=False)
    model: str = ""  # the model name to send on the wire (openai-api strips the service)
    url_source: str | None = None  # where base_url came from: a variable or the option

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.key,) if self.key else ()


@dataclass(frozen=True)
class _Defaults:
    url_var: str | None
    default_url: str | None
    key_var: str | None
    key_required: bool


_DEFAULTS: dict[str, _Defaults] = {
    "openai": _Defaults("OPENAI_BASE_URL", "https://api.openai.com/v1", "OPENAI_API_KEY", True),
    "anthropic": _Defaults("ANTHROPIC_BASE_URL", "https://api.anthropic.com",
                           "ANTHROPIC_API_KEY", True),
    "ollama": _Defaults("OLLAMA_HOST", "http://localhost:11434", None, False),
    "vllm": _Defaults("VLLM_BASE_URL", "http://localhost:8000/v1", "VLLM_API_KEY", False),
    "llamacpp": _Defaults("LLAMACPP_BASE_URL", "http://127.0.0.1:8080/v1", None, False),
}

_SERVICE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def service_var_prefix(service: str) -> str:
    """``my-service`` → ``MY_SERVICE`` (the prefix of its ``_BASE_URL``/``_API_KEY``)."""
    return service.upper().replace("-", "_")


def normalize_ollama_host(value: str) -> str:
    """Accept what the ollama CLI accepts: ``host``, ``host:port`` or a full URL."""
    value = value.strip().rstrip("/")
    if "://" not in value:
        value = "http://" + value
    scheme, rest = value.split("://", 1)
    hostport = rest.split("/", 1)[0]
    if hostport.startswith("["):  # IPv6 literal
        has_port = "]:" in hostport
    else:
        has_port = ":" in hostport
    if not has_port:
        default_port = "443" if scheme == "https" else "11434"
        value = f"{scheme}://{hostport}:{default_port}" + rest[len(hostport):]
    return value


def _key_var_ok(name: object) -> str:
    if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        raise SpecError(f"option key_env must name an environment variable, got {name!r}")
    return name


def resolve_endpoint(spec: ModelSpec, env: Mapping[str, str] | None = None) -> Endpoint:
    """Find URL and key for an HTTP provider; raise :class:`MissingKeyError` naming the variable."""
    env = os.environ if env is None else env
    opts = spec.options or {}
    model = spec.model
    if spec.provider == "openai-api":
        service, model = spec.model.split("/", 1)
        if not _SERVICE_RE.match(service) or not model:
            raise SpecError(f"malformed model spec {spec.raw!r}: expected openai-api/SERVICE/MODEL "
                            "with SERVICE made of letters, digits, '-' or '_'")
        prefix = service_var_prefix(service)
        d = _Defaults(f"{prefix}_BASE_URL", None, f"{prefix}_API_KEY", True)
    elif spec.provider in _DEFAULTS:
        d = _DEFAULTS[spec.provider]
    else:
        raise SpecError(f"provider {spec.provider!r} does not talk HTTP; no endpoint to resolve")

    base_url = opts.get("base_url") or (env.get(d.url_var) if d.url_var else None) or d.default_url
    if opts.get("base_url"):
        url_source = "the target option base_url"
    elif d.url_var and env.get(d.url_var):
        url_source = d.url_var
    else:
        url_source = f"the default; set {d.url_var} to change it" if d.url_var else None
    if not base_url:
        raise MissingKeyError(f"{spec.raw} needs a server URL: set {d.url_var} "
                              f"(e.g. https://host/v1) or pass the target option base_url")
    base_url = str(base_url).strip()
    if spec.provider == "ollama":
        base_url = normalize_ollama_host(base_url)
    elif "://" not in base_url:
        raise SpecError(f"base URL for {spec.raw} must start with http:// or https://")
    base_url = base_url.rstrip("/")

    key_var = _key_var_ok(opts["key_env"]) if opts.get("key_env") else d.key_var
    key = env.get(key_var) if key_var else None
    key = key.strip() if key else None
    required = d.key_required or bool(opts.get("key_env"))
    if required and not key:
        raise MissingKeyError(f"{spec.raw} needs an API key: set the environment variable {key_var}")
    return Endpoint(base_url=base_url, key_var=key_var if key else None, key=key or None,
                    model=model, url_source=url_source)
