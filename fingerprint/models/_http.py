"""The HTTP transport every remote provider shares: one POST of JSON, retried with care.

Retried: 408, 409, 429, 5xx (529 ``overloaded_error`` included), connection errors,
timeouts, truncated and malformed bodies, and bodies the provider's parser rejects.
Waits are jittered exponential backoff (tenacity), never shorter than what the server
asked for (:func:`fingerprint.models._retry.server_wait`).  A server wait longer than
``max_retry_wait`` is not slept through here: the error carries ``retry_after`` so the
caller can reschedule.  Keys live only in the client's default headers; every message,
recorded body and header copy goes through :func:`redact`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import time
import urllib.request
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Mapping, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from ..errors import ProviderError
from ._retry import redact, redact_obj, safe_headers, server_wait

T = TypeVar("T")

# The sampler's per-request gate (rate limits, budget, request count), if any.  Set by
# ``fingerprint.collect`` around ``Provider.complete``; every attempt, retries included,
# awaits ``gate.before_attempt()`` first and reports ``gate.attempt_failed(billed=...)``
# when it fails: ``billed`` is false when the server refused with an error status (no
# tokens were generated) and true when the outcome is unknown or the answer was unusable.
ATTEMPT_GATE: contextvars.ContextVar[Any] = contextvars.ContextVar("fingerprint_attempt_gate",
                                                                   default=None)
RETRY_STATUSES = frozenset({408, 409, 429})
SHARD_CONNECTIONS = 8  # connections per httpx pool (see HttpTransport.__init__)
USER_AGENT = "fingerprint/0.1 (python-httpx)"


@dataclass
class HttpResult:
    """One successful exchange: the decoded body plus what we may keep about it."""

    body: dict[str, Any]
    status: int
    headers: dict[str, str]  # allow-listed, non-secret response headers
    latency_s: float
    created: str  # ISO-8601 UTC time the response arrived
    attempts: int = 1
    request: dict[str, Any] = field(default_factory=dict)  # the body sent, redacted

    @property
    def header_request_id(self) -> str | None:
        return self.headers.get("x-request-id") or self.headers.get("request-id")


def display_url(url: str) -> str:
    """A URL safe to print: no user-info, no query string."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def error_message(text: str) -> str:
    """The server's own error line from OpenAI, Anthropic, Ollama or plain-text bodies."""
    try:
        body = json.loads(text)
    except (ValueError, TypeError):
        return " ".join(text.split())[:300] or "(empty body)"
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, str):
            return err[:300]
        if isinstance(err, dict):
            kind = err.get("type") or err.get("code")
            msg = err.get("message") or err.get("detail") or json.dumps(err)[:300]
            return f"{kind}: {msg}"[:300] if kind else str(msg)[:300]
    return json.dumps(body)[:300]


def _error_details(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except (ValueError, TypeError):
        return {}
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else {}


@functools.lru_cache(maxsize=1)
def _ssl_context() -> Any:
    """httpx's default verifying context, built once per process (loading the CA bundle
    costs tens of milliseconds) and shared by every client."""
    return httpx.create_ssl_context(trust_env=True)


class _Wait(wait_base):
    """Equal-jitter exponential backoff, but never shorter than the server's wait."""

    def __init__(self, rng: np.random.Generator, initial: float, cap: float):
        self.rng, self.initial, self.cap = rng, initial, cap

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        server = getattr(exc, "retry_after", None)
        if server is not None:
            return float(server) + float(self.rng.uniform(0.0, min(1.0, 0.1 * server + 0.05)))
        base = min(self.cap, self.initial * 2.0 ** (retry_state.attempt_number - 1))
        return base / 2.0 + float(self.rng.uniform(0.0, base / 2.0))


class _StopOnLongWait(stop_base):
    """Stop when the server asks for a wait longer than we are willing to sleep."""

    def __init__(self, max_wait: float):
        self.max_wait = max_wait

    def __call__(self, retry_state: RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        wait = getattr(exc, "retry_after", None)
        return wait is not None and wait > self.max_wait


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


class HttpTransport:
    """POST JSON to one server with retries.  One instance per provider (per endpoint)."""

    def __init__(self, base_url: str, *, label: str, auth_headers: Mapping[str, str] | None = None,
                 secrets: tuple[str, ...] = (), key_var: str | None = None,
                 timeout: float = 120.0, max_attempts: int = 6, max_retry_wait: float = 120.0,
                 backoff_initial: float = 0.5, backoff_max: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.time, seed: int | None = None,
                 pool_size: int = 64):
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.key_var = key_var
        self.timeout = float(timeout)
        self.max_attempts = max(1, int(max_attempts))
        self.max_retry_wait = float(max_retry_wait)
        self._auth = dict(auth_headers or {})
        self._secrets = tuple(s for s in secrets if s)
        self._transport = transport
        self._sleep = sleep or asyncio.sleep
        self._clock = clock
        self._wait = _Wait(np.random.default_rng(zlib.crc32(label.encode()) if seed is None
                                                 else seed), backoff_initial, backoff_max)
        # httpcore's pool walks every connection it holds on each request and each release
        # (and polls each idle socket), so one pool of 64 connections spends most of its time
        # on bookkeeping: throughput at 64 in flight fell to 1/20 of the ideal.  Small pools,
        # each request sent through the least busy one, keep that walk short.
        self._pool_size = max(1, int(pool_size))
        self._shard_size = min(self._pool_size, SHARD_CONNECTIONS)
        self._clients: list[httpx.AsyncClient] = []
        self._direct: list[httpx.AsyncBaseTransport | None] = []
        self._busy: list[int] = []
        self._ssl: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"HttpTransport({display_url(self.base_url)!r}, label={self.label!r})"

    # -- client lifecycle ---------------------------------------------------------------
    def _new_client(self) -> httpx.AsyncClient:
        headers = {"user-agent": USER_AGENT, "accept": "application/json", **self._auth}
        limits = httpx.Limits(max_connections=self._shard_size,
                              max_keepalive_connections=self._shard_size)
        if self._ssl is None and self._transport is None:
            self._ssl = _ssl_context()
        # Without a proxy the request goes straight to the transport: the client's cookie,
        # auth, redirect and hook machinery (none of which a JSON POST here uses) cost a
        # third of the client CPU per request.  With a proxy in the environment the client
        # builds its own transports and routes each request (NO_PROXY and all); httpx
        # ignores the environment's proxies when it is handed a transport.
        transport = self._transport
        if transport is None and not urllib.request.getproxies():
            transport = httpx.AsyncHTTPTransport(verify=self._ssl, limits=limits)
        client = httpx.AsyncClient(
            base_url=self.base_url + "/", headers=headers, transport=transport,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0), pool=None),
            limits=limits, verify=self._ssl if self._ssl is not None else True,
            follow_redirects=False, trust_env=True)
        self._direct.append(transport)
        return client

    async def _post(self, index: int, path: str, body: dict[str, Any]) -> httpx.Response:
        client, direct = self._clients[index], self._direct[index]
        if direct is None:
            return await client.post(path, json=body)
        request = client.build_request("POST", path, json=body)
        response = await direct.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def _pick_client(self) -> int:
        """Index of the least busy pool, opening another while all are full."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or any(c.is_closed for c in self._clients):
            self._clients, self._busy, self._direct, self._loop = [], [], [], loop
        if self._clients:
            best = min(range(len(self._clients)), key=self._busy.__getitem__)
            if self._busy[best] < self._shard_size or \
                    len(self._clients) * self._shard_size >= self._pool_size:
                return best
        self._clients.append(self._new_client())
        self._busy.append(0)
        return len(self._clients) - 1

    def _get_client(self) -> httpx.AsyncClient:
        return self._clients[self._pick_client()]

    async def aclose(self) -> None:
        clients, self._clients, self._busy, self._direct = self._clients, [], [], []
        for client in clients:
            if not client.is_closed:
                try:
                    await client.aclose()
                except RuntimeError:  # the loop it was bound to is gone
                    pass

    # -- errors -------------------------------------------------------------------------
    def fail(self, message: str, *, retryable: bool = False, status: int | None = None,
             retry_after: float | None = None) -> ProviderError:
        """A redacted ProviderError prefixed with the target's name."""
        return ProviderError(redact(f"{self.label}: {message}", self._secrets),
                             retryable=retryable, retry_after=retry_after, status=status)

    def redact_obj(self, obj: Any) -> Any:
        return redact_obj(obj, self._secrets)

    def _status_error(self, resp: httpx.Response) -> ProviderError:
        status, text = resp.status_code, resp.text
        headers = {k.lower(): v for k, v in resp.headers.items()}
        wait = server_wait(headers, status, self._clock())
        retryable = status in RETRY_STATUSES or status >= 500
        details = _error_details(text)
        code = str(details.get("code") or (details.get("details") or {}).get("error_code") or "")
        if status == 429 and code in ("insufficient_quota", "enforced_spend_limit_reached"):
            retryable = False  # a spent quota does not come back by waiting
        hint = headers.get("x-should-retry", "").lower()
        if hint in ("true", "false"):
            retryable = hint == "true"
        msg = f"{display_url(self.base_url)} answered HTTP {status}: {error_message(text)}"
        if status in (401, 403):
            msg += (f"; check the key in {self.key_var}" if self.key_var
                    else "; this server wants a key: pass the target option key_env")
        elif status == 404:
            msg += "; check the model name and the base URL"
        rid = headers.get("x-request-id") or headers.get("request-id")
        if rid:
            msg += f" (request id {rid})"
        return self.fail(msg, retryable=retryable, status=status,
                         retry_after=wait if retryable else None)

    # -- one attempt --------------------------------------------------------------------
    async def _attempt(self, path: str, body: dict[str, Any], attempt: int) -> HttpResult:
        index = self._pick_client()
        client = self._clients[index]
        self._busy[index] += 1
        try:
            return await self._exchange(index, path, body, attempt)
        finally:
            if index < len(self._busy) and self._clients[index] is client:
                self._busy[index] -= 1

    async def _exchange(self, index: int, path: str, body: dict[str, Any],
                        attempt: int) -> HttpResult:
        url = display_url(self.base_url)
        problem: str | None = None
        t0 = time.perf_counter()
        try:
            resp = await self._post(index, path.lstrip("/"), body)
        except httpx.TimeoutException as exc:
            problem = (f"no answer from {url} within {self.timeout:g} s ({type(exc).__name__}); "
                       "raise the target option timeout if the model is slow")
        except httpx.RemoteProtocolError as exc:
            problem = (f"{url} closed the connection or sent a truncated body "
                       f"({type(exc).__name__}: {exc})")
        except httpx.TransportError as exc:
            problem = f"cannot reach {url} ({type(exc).__name__}: {exc}); is the server running?"
        except httpx.DecodingError as exc:
            problem = f"{url} sent a body that cannot be decoded ({exc})"
        if problem is not None:
            raise self.fail(problem, retryable=True)
        latency = time.perf_counter() - t0
        if resp.status_code >= 300:
            raise self._status_error(resp)
        raw = resp.content
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            snippet = raw[:80].decode("utf-8", "replace")
            raise self.fail(f"server returned malformed JSON (HTTP {resp.status_code}, "
                            f"{len(raw)} bytes, truncated or not a JSON object): {snippet!r}",
                            retryable=True, status=resp.status_code)
        created = datetime.fromtimestamp(self._clock(), tz=timezone.utc).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        return HttpResult(body=self.redact_obj(data), status=resp.status_code,
                          headers=self.redact_obj(safe_headers(resp.headers.items())),
                          latency_s=latency, created=created, attempts=attempt,
                          request=self.redact_obj(body))

    # -- the retried call ---------------------------------------------------------------
    async def post_json(self, path: str, body: dict[str, Any],
                        parse: Callable[[HttpResult], T] | None = None) -> T | HttpResult:
        """POST ``body``; return ``parse(result)``.  ``parse`` may raise a retryable
        :class:`ProviderError` (via :meth:`fail`) to have an invalid answer retried."""
        retrying = AsyncRetrying(
            sleep=self._sleep, wait=self._wait, reraise=True,
            stop=stop_after_attempt(self.max_attempts) | _StopOnLongWait(self.max_retry_wait),
            retry=retry_if_exception(_is_retryable))
        final: ProviderError | None = None
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._gated_attempt(path, body, parse,
                                                     attempt.retry_state.attempt_number)
        except ProviderError as exc:
            final = self._final(exc, retrying.statistics.get("attempt_number", 1))
        if final is None:  # pragma: no cover - tenacity always returns or raises
            final = self.fail("no attempt was made", retryable=True)
        raise final  # raised outside the except block: no chained context holding requests

    async def _gated_attempt(self, path: str, body: dict[str, Any],
                             parse: Callable[[HttpResult], T] | None, number: int) -> Any:
        gate = ATTEMPT_GATE.get()
        if gate is not None:
            await gate.before_attempt()
        try:
            result = await self._attempt(path, body, number)
            return parse(result) if parse is not None else result
        except ProviderError as exc:
            if gate is not None:
                gate.attempt_failed(billed=exc.status is None or exc.status < 300)
            raise

    def _final(self, exc: ProviderError, attempts: int) -> ProviderError:
        msg = str(exc)
        if exc.retryable and exc.retry_after is not None and exc.retry_after > self.max_retry_wait:
            msg += (f"; the server asks to wait {exc.retry_after:.0f} s, longer than "
                    f"max_retry_wait {self.max_retry_wait:g} s")
        elif exc.retryable and attempts > 1:
            msg += f" (gave up after {attempts} attempts)"
        return ProviderError(redact(msg, self._secrets), retryable=exc.retryable,
                             retry_after=exc.retry_after, status=exc.status)
