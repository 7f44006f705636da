"""Model specs and providers."""

from .base import ChatRequest, Completion, Provider
from .registry import get_provider
from .spec import KNOWN_PROVIDERS, ModelSpec, parse_spec

__all__ = ["ChatRequest", "Completion", "Provider", "ModelSpec", "parse_spec", "KNOWN_PROVIDERS", "get_provider"]
