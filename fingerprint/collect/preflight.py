"""One cheap request per remote model before any money is spent.

Each remote model gets one request for a one-token answer, with the sampling settings of
the suite's first probe (so a model that refuses them fails here, not after the other
models have been charged).  It checks that the endpoint is reachable, that the key is
accepted and that the model name is known, and it records what the server says it
served.  Local models (``zoo/``, ``replay/``) need no request.  Targets that are the same
model at the same endpoint (a model drawn twice) share one check.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..errors import FingerprintError
from ..models._http import ATTEMPT_GATE
from ..models._remote import RemoteProvider
from ..models.base import ChatRequest, Provider
from ..suite import Probe

if TYPE_CHECKING:
    from .target import Target

PROMPT = "Reply with the single word OK."


@dataclass
class Check:
    """The outcome of one model's check: ready, or what to fix."""

    role: str
    spec: str
    ready: bool
    detail: str
    requests: int = 0  # requests this check made (0 for local models)
    served_model: str | None = None

    def line(self) -> str:
        state = "ready" if self.ready else "NOT READY"
        return f"{self.spec} ({self.role}): {state}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "model": self.spec, "ready": self.ready,
                "detail": self.detail, "requests": self.requests,
                "served_model": self.served_model}


def check_request(probe: Probe | None) -> ChatRequest:
    """The one-token request a check sends (the first probe's temperature and top_p)."""
    return ChatRequest(messages=({"role": "user", "content": PROMPT},),
                       temperature=probe.temperature if probe else 1.0,
                       top_p=probe.top_p if probe else 1.0, max_tokens=1, n=1)


def needs_request(provider: Provider) -> bool:
    return isinstance(provider, RemoteProvider)


def _without_spec(spec: str, message: str) -> str:
    return message[len(spec) + 2:] if message.startswith(spec + ": ") else message


class CountingGate:
    """The gate of a check outside a collection (``--dry-run``): it only counts attempts."""

    def __init__(self) -> None:
        self.attempts = 0

    async def before_attempt(self) -> None:
        self.attempts += 1

    def attempt_failed(self, *, billed: bool) -> None:
        pass

    def succeeded(self, usages: list[Any]) -> None:
        pass

    def release(self) -> None:
        pass


async def _check_one(provider: RemoteProvider, request: ChatRequest,
                     gate: Any) -> tuple[bool, str, str | None]:
    spec = provider.spec.raw
    token = ATTEMPT_GATE.set(gate)
    try:
        completions = await provider.complete(request)
        gate.succeeded([c.usage or {} for c in completions])
    except FingerprintError as exc:
        return False, _without_spec(spec, str(exc)), None
    finally:
        ATTEMPT_GATE.reset(token)
        gate.release()
    first = completions[0]
    served = first.served_model
    where = provider.identity["base_url"]
    detail = f"{where} answered in {first.latency_s or 0:.2f} s"
    if served:
        detail += f", serving {served}"
        if served != provider.target.model:
            detail += f" (asked for {provider.target.model})"
    if first.system_fingerprint:
        detail += f", system_fingerprint {first.system_fingerprint}"
    return True, detail, served


def _local_detail(provider: Provider) -> str:
    kind = "organism, answered in process" if provider.spec.provider == "zoo" \
        else "stored answers, read from disk"
    return f"local {kind}: no request needed"


async def check_targets(targets: list["Target"], probe: Probe | None, *,
                        gate_for: Callable[[Provider, ChatRequest], Any] | None = None
                        ) -> list[Check]:
    """One :class:`Check` per target, every remote check in flight at once.

    ``gate_for(provider, request)`` may give each check's attempts a
    :class:`~fingerprint.collect.gate.JobGate` (the run's budget and counters)."""
    request = check_request(probe)
    shared: dict[str, asyncio.Future] = {}
    gates: dict[str, Any] = {}
    for target in targets:
        provider = target.provider
        if not needs_request(provider):
            continue
        key = json.dumps(provider.identity, sort_keys=True)
        if key not in shared:
            gate = gates[key] = gate_for(provider, request) if gate_for else CountingGate()
            shared[key] = asyncio.ensure_future(_check_one(provider, request, gate))
    await asyncio.gather(*shared.values(), return_exceptions=True)
    checks, counted = [], set()
    for target in targets:
        provider = target.provider
        if not needs_request(provider):
            checks.append(Check(target.role, provider.spec.raw, True, _local_detail(provider)))
            continue
        key = json.dumps(provider.identity, sort_keys=True)
        ready, detail, served = shared[key].result()
        checks.append(Check(target.role, provider.spec.raw, ready, detail,
                            requests=0 if key in counted else gates[key].attempts,
                            served_model=served))
        counted.add(key)
    return checks


def stop_message(checks: list[Check]) -> str:
    """The one line (one per failing model) that stops a run whose preflight failed."""
    bad = [c for c in checks if not c.ready]
    head = (f"preflight: {bad[0].line()}" if len(bad) == 1 else
            "preflight: " + f"{len(bad)} models are not ready:\n  "
            + "\n  ".join(c.line() for c in bad))
    return (head + ("\n" if len(bad) > 1 else "; ") + "nothing was sampled; fix it and run "
            "the same command again (--dry-run checks without sampling)")
