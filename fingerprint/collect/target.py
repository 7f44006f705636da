"""One model to sample in a run, under the role it plays there."""

from __future__ import annotations

from dataclasses import dataclass

from ..models.base import Provider


@dataclass(frozen=True)
class Target:
    role: str  # "reference", "suspect", "control 1", … or "model 1", … for `collect`
    provider: Provider
    draw: int = 0  # > 0 when the same model appears again in one run: a fresh, independent draw
