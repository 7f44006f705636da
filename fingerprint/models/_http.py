"""The HTTP transport every remote provider shares: one POST of JSON, retried with care.

Retried: 408, 409, 429, 5xx (529 ``overloaded_error`` included), connection errors,
timeouts, truncated and malformed bodies, and bodies the provider's parser rejects.
Waits are jittered exponential backoff (tenacity), never shorter than what the server
asked for (:func:`fingerprint.models._retry.server_wait`).  A server wait longer than
``max_retry_wait`` is not slept through here: the error carries ``retry_after`` so the
caller can reschedule.  Keys live only in the request headers built here; every message,
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
from ._breaker import ConnectBreaker
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


def _env_proxy(url: str) -> httpx.Proxy | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``, ``NO_PROXY``, …).

    Read once per pool: aiohttp's own ``trust_env`` re-reads the environment and the netrc
    file on every request, which cost more than the exchange itself at high concurrency."""
    parts = urlsplit(url)
    if not parts.hostname or urllib.request.proxy_bypass(parts.hostname):
        return None
    proxy = urllib.request.getproxies().get(parts.scheme)
    return httpx.Proxy(proxy) if proxy else None


def _aiohttp_transport(url: str, pool_size: int) -> httpx.AsyncBaseTransport:
    """httpx's transport interface over one aiohttp connection pool of ``pool_size``."""
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    ssl_context = _ssl_context()

    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=pool_size, ssl=ssl_context))

    return AiohttpTransport(verify=ssl_context, proxy=_env_proxy(url), client=session)


CONNECT, DROPPED, TIMEOUT, DECODE = "connect", "dropped", "timeout", "decode"


def _describe_failure(exc: Exception, url: str, timeout: float) -> tuple[str, str]:
    """One line on a failed exchange and its kind (:data:`CONNECT` when no connection was
    made: refused, DNS, TLS).  The aiohttp transport maps a dropped connection to
    ``ConnectTimeout``; its cause tells the two apart."""
    import aiohttp

    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(cause, (aiohttp.ClientConnectorError, httpx.ConnectError)):
        return (f"cannot reach {url} ({type(cause).__name__}: {cause}); is the server "
                "running?", CONNECT)
    if isinstance(cause, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError,
                          aiohttp.ClientOSError, httpx.RemoteProtocolError, httpx.ReadError,
                          ConnectionError)):
        return (f"{url} closed the connection or sent a truncated body "
                f"({type(cause).__name__}: {cause})", DROPPED)
    if isinstance(exc, httpx.TimeoutException):
        return (f"no answer from {url} within {timeout:g} s ({type(exc).__name__}); "
                "raise the target option timeout if the model is slow", TIMEOUT)
    if isinstance(exc, httpx.DecodingError):
        return f"{url} sent a body that cannot be decoded ({exc})", DECODE
    return (f"cannot reach {url} ({type(cause).__name__}: {cause}); is the server running?",
            DROPPED)


class HttpTransport:
    """POST JSON to one server with retries.  One instance per provider (per endpoint)."""

    def __init__(self, base_url: str, *, label: str, auth_headers: Mapping[str, str] | None = None,
                 secrets: tuple[str, ...] = (), key_var: str | None = None,
                 timeout: float = 120.0, max_attempts: int = 6, max_retry_wait: float = 120.0,
                 backoff_initial: float = 0.5, backoff_max: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.time, seed: int | None = None,
                 pool_size: int = 64, url_source: str | None = None,
                 breaker: ConnectBreaker | None = None):
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.key_var = key_var
        self.url_source = url_source  # where the URL came from, for the fix in messages
        self.breaker = breaker or ConnectBreaker()
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
        self._pool_size = max(1, int(pool_size))
        self._url = display_url(self.base_url)
        # Parsed once: building an httpx request from strings costs as much CPU as sending it.
        self._headers = httpx.Headers({
            "host": httpx.URL(self.base_url).netloc.decode("ascii"), "user-agent": USER_AGENT,
            "accept": "application/json", "content-type": "application/json", **self._auth})
        self._urls: dict[str, httpx.URL] = {}
        self._timeouts = {"connect": min(self.timeout, 10.0), "read": self.timeout,
                          "write": self.timeout, "pool": None}
        self._open: httpx.AsyncBaseTransport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"HttpTransport({self._url!r}, label={self.label!r})"

    # -- connection pool lifecycle ------------------------------------------------------
    def _pool(self) -> httpx.AsyncBaseTransport:
        """The transport for the running event loop (a pool is bound to the loop it opened in).

        Requests are httpx requests either way; by default they travel over aiohttp's
        connection pool (``httpx-aiohttp``), whose C parser and pool cost a fraction of the
        CPU of httpcore's per request: at 64 requests in flight httpcore's pool spends
        most of its time walking its connections.  Proxies come from the environment
        (``HTTPS_PROXY``, ``NO_PROXY``, …) as with httpx.
        """
        loop = asyncio.get_running_loop()
        if self._open is None or self._loop is not loop:
            self._open = self._transport or _aiohttp_transport(self.base_url, self._pool_size)
            self._loop = loop
        return self._open

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(f"{self.base_url}/{path}")
        request = httpx.Request("POST", url, headers=self._headers,
                                content=json.dumps(body).encode(),
                                extensions={"timeout": self._timeouts})
        response = await self._pool().handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def aclose(self) -> None:
        pool, self._open = self._open, None
        if pool is not None and pool is not self._transport:
            try:
                await pool.aclose()
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
        msg = f"{self._url} answered HTTP {status}: {error_message(text)}"
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
    async def _exchange(self, path: str, body: dict[str, Any], attempt: int) -> HttpResult:
        problem: str | None = None
        t0 = time.perf_counter()
        try:
            resp = await self._post(path.lstrip("/"), body)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            problem, kind = _describe_failure(exc, self._url, self.timeout)
        if problem is not None:
            if kind != CONNECT:
                self.breaker.record_reached()
            elif self.breaker.record_connect_failure(self._unreachable(problem)):
                raise self._broken()
            raise self.fail(problem, retryable=True)
        self.breaker.record_reached()
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

    def _unreachable(self, problem: str) -> str:
        where = f" (from {self.url_source})" if self.url_source else ""
        return problem.removesuffix("?") + f" and the URL right{where}?"

    def _broken(self) -> ProviderError:
        """The error of every attempt once the breaker is open: one cause, not retried."""
        return self.fail(f"{self.breaker.cause} (none of {self.breaker.failures} attempts "
                         "connected; stopped retrying)", retryable=False)

    async def _gated_attempt(self, path: str, body: dict[str, Any],
                             parse: Callable[[HttpResult], T] | None, number: int) -> Any:
        if self.breaker.is_open:  # fail before the gate: nothing is sent, nothing charged
            raise self._broken()
        gate = ATTEMPT_GATE.get()
        if gate is not None:
            await gate.before_attempt()
        try:
            result = await self._exchange(path, body, number)
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
