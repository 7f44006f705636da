"""Failed requests grouped by cause, so the final error says each cause once.

A dead endpoint or a wrong key fails every request of a model the same way; listing them
one by one repeats one fact for dozens of probes.  :func:`group_failures` folds failures
with the same model and the same cause (ignoring what differs per request: request ids,
attempt counts) into one :class:`Cause` that counts the requests, probes and samples it
cost; :func:`incomplete_message` turns them into the error a short collection ends with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

# What differs between requests failing for one reason.
_PER_REQUEST = re.compile(r" \((?:request id [^)]*|gave up after \d+ attempts)\)")


@dataclass(frozen=True)
class Failure:
    """One request that could not be completed."""

    model: str  # the model spec
    probe: str  # the probe id
    cause: str  # the error line (starts with the model spec)
    samples: int  # samples the request was to return

    def line(self) -> str:
        """The ``failures`` entry of collection.json: one line per request."""
        rest = self.cause[len(self.model) + 2:] if self.cause.startswith(self.model + ": ") \
            else self.cause
        return f"{self.model} probe {self.probe}: {rest}"


@dataclass(frozen=True)
class Cause:
    """Every failure of one model for one reason."""

    model: str
    cause: str
    requests: int
    probes: int
    samples: int

    def line(self) -> str:
        return (f"{self.cause} [{self.requests} request(s), {self.probes} probe(s), "
                f"{self.samples} sample(s)]")

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "cause": self.cause, "requests": self.requests,
                "probes": self.probes, "samples": self.samples}


def make_failure(model: str, probe: str, message: str, samples: int) -> Failure:
    """A :class:`Failure` whose cause names the model (provider errors already do)."""
    cause = message if message.startswith(model + ": ") else f"{model}: {message}"
    return Failure(model, probe, cause, samples)


def cause_of(failure: Failure) -> str:
    """The failure's cause without what differs from request to request."""
    return _PER_REQUEST.sub("", failure.cause)


def group_failures(failures: Iterable[Failure]) -> list[Cause]:
    """One :class:`Cause` per (model, cause), in order of first occurrence."""
    groups: dict[tuple[str, str], list[Failure]] = {}
    for f in failures:
        groups.setdefault((f.model, cause_of(f)), []).append(f)
    return [Cause(model, cause, len(fs), len({f.probe for f in fs}), sum(f.samples for f in fs))
            for (model, cause), fs in groups.items()]


RESUME_HINT = "everything collected is stored; fix it and run the same command again to resume"


def incomplete_message(missing: int, failures: list[Failure]) -> str:
    """The error of a collection short of ``missing`` samples: each cause once, then the
    resume hint (one line when there is one cause)."""
    causes = group_failures(failures)
    if not causes:
        return f"{missing} sample(s) missing: some samples were not returned; {RESUME_HINT}"
    if len(causes) == 1:
        return f"{causes[0].line()}; {missing} sample(s) missing, {RESUME_HINT}"
    lines = [f"{missing} sample(s) missing after {len(failures)} failed request(s), "
             f"{len(causes)} causes:"]
    lines += [f"  {c.line()}" for c in causes]
    lines.append(RESUME_HINT[0].upper() + RESUME_HINT[1:].replace("fix it", "fix them"))
    return "\n".join(lines)
