"""Plumbing shared by the providers that talk HTTP: endpoint, options, transport, evidence."""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable, Mapping

import httpx

from ..errors import ProviderError, SpecError
from ._env import Endpoint, resolve_endpoint
from ._http import HttpTransport, display_url
from .base import ChatRequest, Provider
from .spec import ModelSpec

# Body fields a provider owns; ``extra`` may not replace them (it would break "exactly n").
RESERVED_FIELDS = frozenset({"model", "messages", "n", "stream"})


def _positive(opts: Mapping[str, Any], name: str, default: float | None,
              kind: type = float) -> Any:
    value = opts.get(name, default)
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or number <= 0:
        raise SpecError(f"target option {name} must be a positive {kind.__name__}, got {value!r}")
    return number


def combine_ids(body_id: Any, header_name: str, header_id: str | None) -> str | None:
    """One ``request_id`` from the body's id and the transport's request-id header."""
    body_id = str(body_id) if body_id else None
    if body_id and header_id and header_id != body_id:
        return f"{body_id}; {header_name}={header_id}"
    return body_id or header_id


class RemoteProvider(Provider):
    """A provider behind an HTTP server.  Subclasses build and parse the wire bodies.

    Options read from ``spec.options``: ``base_url``, ``key_env``, ``extra`` (dict merged
    into the body), ``omit`` (list of body fields not to send), ``timeout`` (seconds),
    ``max_concurrency``, ``max_attempts``, ``max_retry_wait`` (seconds), ``max_n``.
    """

    default_timeout: float = 120.0
    path: str = ""
    gates_attempts = True  # every HTTP attempt goes through ``_http.ATTEMPT_GATE``

    def __init__(self, spec: ModelSpec, *, env: Mapping[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.time):
        super().__init__(spec)
        opts = dict(spec.options or {})
        self.target: Endpoint = resolve_endpoint(spec, env)
        self.extra = opts.get("extra") or {}
        if not isinstance(self.extra, dict):
            raise SpecError(f"target option extra for {spec.raw} must be a mapping of body fields")
        clash = sorted(RESERVED_FIELDS & set(self.extra))
        if clash:
            raise SpecError(f"target option extra for {spec.raw} may not set {', '.join(clash)}; "
                            "those fields are set by fingerprint")
        omit = opts.get("omit") or ()
        if isinstance(omit, str) or not all(isinstance(x, str) for x in omit):
            raise SpecError(f"target option omit for {spec.raw} must be a list of field names")
        self.omit = frozenset(omit) - RESERVED_FIELDS
        self.max_concurrency: int | None = _positive(opts, "max_concurrency", None, int)
        if "max_n" in opts:
            self.max_n = _positive(opts, "max_n", None, int)
        self.http = HttpTransport(
            self.target.base_url, label=spec.raw, auth_headers=self.auth_headers(self.target.key),
            secrets=self.target.secrets, key_var=self.target.key_var or opts.get("key_env"),
            timeout=_positive(opts, "timeout", self.default_timeout),
            max_attempts=_positive(opts, "max_attempts", 6, int),
            max_retry_wait=_positive(opts, "max_retry_wait", 120.0),
            transport=transport, sleep=sleep, clock=clock,
            pool_size=max(self.max_concurrency or 0, 64), url_source=self.target.url_source)

    # -- what subclasses provide --------------------------------------------------------
    def auth_headers(self, key: str | None) -> dict[str, str]:
        """Headers that carry the key (kept only in the HTTP client, never recorded)."""
        return {"authorization": f"Bearer {key}"} if key else {}

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, result: Any, request: ChatRequest) -> list:
        raise NotImplementedError

    # -- shared behaviour ---------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """Concurrency-limit key: the server plus the key variable (one account = one limit)."""
        url = display_url(self.target.base_url)
        return f"{url}#{self.target.key_var}" if self.target.key_var else url

    @property
    def identity(self) -> dict[str, Any]:
        return {"provider": self.spec.provider, "model": self.spec.model,
                "base_url": display_url(self.target.base_url)}

    def finish_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply ``extra`` (dicts merged one level deep) and ``omit`` to a wire body."""
        for key, value in self.extra.items():
            if isinstance(value, dict) and isinstance(body.get(key), dict):
                body[key] = {**body[key], **value}
            else:
                body[key] = value
        for key in self.omit:
            body.pop(key, None)
        return body

    def check_n(self, request: ChatRequest) -> None:
        if not 1 <= request.n <= self.max_n:
            raise ProviderError(f"{self.spec.raw}: asked for n={request.n} samples in one request "
                                f"but this provider takes 1..{self.max_n}; split the request")

    async def complete(self, request: ChatRequest) -> list:
        self.check_n(request)
        body = self.build_body(request)
        return await self.http.post_json(self.path, body, lambda r: self.parse(r, request))

    async def aclose(self) -> None:
        await self.http.aclose()
