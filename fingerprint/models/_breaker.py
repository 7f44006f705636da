"""A per-endpoint circuit breaker for servers that cannot be reached at all.

A wrong base URL, a server that is not running, a mistyped host name or a TLS mismatch make
every attempt fail to *connect*.  Retrying each request six times with backoff then costs
minutes and says nothing new.  The breaker watches the first attempts at an endpoint: when
``threshold`` of them have failed to connect and none has reached the server, it opens,
and every later attempt at that endpoint fails at once, non-retryable, with the same
cause.  Once any attempt reaches the server (any HTTP status, or a timeout or a dropped
connection after the connection was made) the endpoint is known to exist, the breaker
stays closed for good, and later failures are retried as before: rate limits, 5xx,
timeouts and dropped connections can recover; a refused port seldom does.

It is a small state object rather than a general circuit-breaker library (which trips on
any run of failures and re-closes on a timer): here the question is only "has this
endpoint ever answered?", and the retrying itself stays with tenacity in ``_http``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: connection failures, with no attempt having reached the server, that open the breaker
DEFAULT_THRESHOLD = 3


@dataclass
class ConnectBreaker:
    """Open after ``threshold`` connect failures at an endpoint that never answered."""

    threshold: int = DEFAULT_THRESHOLD
    failures: int = 0
    reached: bool = False
    cause: str | None = None  # the message every attempt fails with once open

    @property
    def is_open(self) -> bool:
        return self.cause is not None

    def record_reached(self) -> None:
        """An attempt reached the server: from now on nothing opens the breaker."""
        self.reached = True

    def record_connect_failure(self, message: str) -> bool:
        """Count one failure to connect; return True when this failure opened the breaker."""
        if self.reached or self.is_open:
            return False
        self.failures += 1
        if self.failures >= max(1, self.threshold):
            self.cause = message
            return True
        return False
