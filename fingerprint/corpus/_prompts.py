"""Prompt text as every corpus layout and the replay provider match it (the bottom layer)."""

from __future__ import annotations

import hashlib


def normalize_prompt(text: str) -> str:
    """Whitespace-normalised prompt text: how stored and live prompts are matched."""
    return " ".join(str(text).split())


def prompt_hash(text: str) -> str:
    """A stable id for a prompt that has none: a hash of its normalised text."""
    return "p" + hashlib.sha256(normalize_prompt(text).encode("utf-8")).hexdigest()[:12]
