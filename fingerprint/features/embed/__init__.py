"""Embedders: turn the answers to one probe into L2-normalised vectors.

``tfidf`` (:class:`HashedTfidfEmbedder`, hashed character n-grams, numpy only) is the
default; ``minilm`` (all-MiniLM-L6-v2 through ONNX Runtime, extra ``[minilm]``) and
``openai-embeddings`` (a provider's ``POST /v1/embeddings``) are optional.  ``compare
--embedder NAME`` picks one by the names :func:`embedder_for` reads, and the run records it
so ``verify`` recomputes with the same one.
"""

from __future__ import annotations

import os
from typing import Any

from ...errors import SpecError
from ._base import Embedder, EmbedderInfo, gram, l2_normalize, one_hot
from ._tfidf import HashedTfidfEmbedder, ngram_keys, normalize_text

#: the names ``compare --embedder`` accepts (``openai-embeddings:MODEL`` picks the model)
EMBEDDERS = ("tfidf", "minilm", "openai-embeddings")
DEFAULT_EMBEDDER = "tfidf"
OPENAI_EMBEDDING_MODEL = "text-embedding-3-small"


def default_embedder() -> HashedTfidfEmbedder:
    return HashedTfidfEmbedder()


def make_embedder(name: str, **options: Any) -> Embedder:
    """Build an embedder by name: ``hashed-char-tfidf`` (default), ``minilm`` (extra
    ``[minilm]``) or ``openai-embeddings`` (a provider's ``/v1/embeddings``)."""
    if name in ("hashed-char-tfidf", "tfidf", "default"):
        return HashedTfidfEmbedder(**options)
    if name == "minilm":
        from ._minilm import MiniLMEmbedder
        return MiniLMEmbedder(**options)
    if name in ("openai-embeddings", "api"):
        from ._api import ApiEmbedder
        return ApiEmbedder(**options)
    raise ValueError(f"unknown embedder {name!r}; use hashed-char-tfidf, minilm or openai-embeddings")


def embedder_for(spec: str | None) -> Embedder:
    """The embedder a run names: ``tfidf`` (or None), ``minilm``, or
    ``openai-embeddings[:MODEL]`` at ``$OPENAI_BASE_URL`` (default api.openai.com) with the key
    in ``$OPENAI_API_KEY``."""
    name, _, model = (spec or DEFAULT_EMBEDDER).partition(":")
    if name not in EMBEDDERS or (model and name != "openai-embeddings"):
        raise SpecError(f"unknown embedder {spec!r}; use one of {', '.join(EMBEDDERS)} "
                        "(openai-embeddings:MODEL picks the embeddings model)")
    if name == "openai-embeddings":
        base_url = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        return make_embedder(name, base_url=base_url, model=model or OPENAI_EMBEDDING_MODEL,
                             key_env="OPENAI_API_KEY")
    return make_embedder(name)


__all__ = ["DEFAULT_EMBEDDER", "EMBEDDERS", "Embedder", "EmbedderInfo", "HashedTfidfEmbedder",
           "default_embedder", "embedder_for", "gram", "l2_normalize", "make_embedder",
           "ngram_keys", "normalize_text", "one_hot"]
