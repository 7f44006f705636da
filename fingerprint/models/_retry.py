"""How long a server asks us to wait, and how to keep keys out of every string we keep.

Servers say "not yet" in several dialects: ``retry-after-ms`` (OpenAI, Anthropic),
``Retry-After`` in seconds or as an HTTP date (RFC 9110), OpenAI's
``x-ratelimit-reset-requests``/``-tokens`` as Go durations ("1s", "6m0s", "20ms") and
Anthropic's ``anthropic-ratelimit-*-reset`` as RFC 3339 times.  :func:`server_wait`
reads them all and returns the seconds to wait; the transport never retries earlier.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Iterable, Mapping

_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}

_OPENAI_RESETS = (("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
                  ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"))
_ANTHROPIC_KINDS = ("requests", "tokens", "input-tokens", "output-tokens")

# Response headers worth keeping as evidence; none of them is secret.
SAFE_HEADERS = frozenset({
    "x-request-id", "request-id", "openai-processing-ms", "openai-version", "date", "server",
    "retry-after", "retry-after-ms", "x-should-retry",
})
_SAFE_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")


def parse_go_duration(text: str) -> float | None:
    """``"6m0s"`` → 360.0; ``"20ms"`` → 0.02; anything else → None."""
    text = text.strip()
    if not text:
        return None
    pos, total = 0, 0.0
    for m in _GO_PART.finditer(text):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    return total if pos == len(text) else None


def parse_rfc3339(text: str) -> datetime | None:
    """Parse ``2025-01-01T00:00:07Z`` (also with fractions and offsets) on Python 3.10+."""
    text = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    m = re.match(r"^(.*?\.\d{6})\d+(.*)$", text)  # fromisoformat takes at most 6 digits
    if m:
        text = m.group(1) + m.group(2)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _seconds_until(when: datetime | None, now: float) -> float | None:
    return None if when is None else max(0.0, when.timestamp() - now)


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and value == value and value >= 0 else None


def retry_after_header(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (number or HTTP date)."""
    ms = _float(headers.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    secs = _float(value)
    if secs is not None:
        return secs
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return _seconds_until(when, now)


def reset_header_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until the exhausted rate-limit window resets (OpenAI and Anthropic headers).

    Only windows whose ``remaining`` is 0 count; if the server sends resets without any
    ``remaining``, every reset counts.  The longest exhausted window wins.
    """
    pairs: list[tuple[str | None, float | None]] = []
    for rem, reset in _OPENAI_RESETS:
        if reset in headers:
            pairs.append((headers.get(rem), parse_go_duration(headers[reset])))
    for kind in _ANTHROPIC_KINDS:
        reset = f"anthropic-ratelimit-{kind}-reset"
        if reset in headers:
            when = _seconds_until(parse_rfc3339(headers[reset]), now)
            pairs.append((headers.get(f"anthropic-ratelimit-{kind}-remaining"), when))
    pairs = [(rem, wait) for rem, wait in pairs if wait is not None]
    if not pairs:
        return None
    if any(rem is not None for rem, _ in pairs):
        exhausted = [wait for rem, wait in pairs if rem is not None and rem.strip() == "0"]
    else:
        exhausted = [wait for _, wait in pairs]
    return max(exhausted) if exhausted else None


def server_wait(headers: Mapping[str, str], status: int, now: float) -> float | None:
    """The wait a server asked for, in seconds, or None if it named none."""
    wait = retry_after_header(headers, now)
    if wait is None and status == 429:
        wait = reset_header_wait(headers, now)
    return wait


def safe_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Keep only the allow-listed, non-secret response headers (lower-cased names)."""
    out: dict[str, str] = {}
    for name, value in headers:
        low = name.lower()
        if low in SAFE_HEADERS or low.startswith(_SAFE_PREFIXES):
            out[low] = value
    return out


# ---- redaction ------------------------------------------------------------------------

REDACTED = "[REDACTED]"
_KEYLIKE = re.compile(r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-*.]{6,})|(?:Bearer\s+[^\s\"',;]+)")
_WORD = re.compile(r"[A-Za-z0-9_\-]{8,}")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove every secret, any 8+ character piece of one, and anything key-shaped."""
    secrets = [s for s in secrets if s]
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = _KEYLIKE.sub(REDACTED, text)
    if secrets:
        text = _WORD.sub(lambda m: REDACTED if any(m.group(0) in s for s in secrets)
                         else m.group(0), text)
    return text


def redact_obj(obj: Any, secrets: Iterable[str]) -> Any:
    """:func:`redact` every string inside a JSON-like value (dict keys included)."""
    secrets = tuple(s for s in secrets if s)
    if not secrets:
        return obj
    if isinstance(obj, str):
        return redact(obj, secrets) if any(_may_hold(obj, s) for s in secrets) else obj
    if isinstance(obj, dict):
        return {redact_obj(k, secrets): redact_obj(v, secrets) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact_obj(v, secrets) for v in obj]
    return obj


def _may_hold(text: str, secret: str) -> bool:
    """Cheap pre-check so model outputs are only rewritten when a key piece is present."""
    if secret in text:
        return True
    return any(m.group(0) in secret for m in _WORD.finditer(text))
