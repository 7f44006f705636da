"""Embeddings from a provider's OpenAI-compatible ``POST {base_url}/embeddings`` endpoint.

Request ``{"model": ..., "input": [texts], "encoding_format": "float"}``; response
``{"data": [{"index": i, "embedding": [...]}, ...], "model": ...}``.  The key is read from
the environment variable *named* by the caller and is never logged or put in an error.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import httpx
import numpy as np

from ...errors import MissingKeyError, ProviderError
from ._base import EmbedderInfo, l2_normalize


class ApiEmbedder:
    """OpenAI-shape embeddings client; rows are L2-normalised (empty texts -> zero rows)."""

    VERSION = "1"

    def __init__(self, base_url: str, model: str, key_env: str = "OPENAI_API_KEY", *,
                 batch_size: int = 64, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None):
        if not base_url or not model:
            raise ValueError("the embeddings endpoint needs a base_url and a model name")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        key = os.environ.get(key_env) if key_env else None
        if key_env and not key:
            raise MissingKeyError(f"environment variable {key_env} is not set; export it with the "
                                  "API key of the embeddings endpoint")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.batch_size = int(batch_size)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout,
                                    transport=transport)
        self.info = EmbedderInfo(name="openai-embeddings", version=self.VERSION,
                                 params={"base_url": self.base_url, "model": model,
                                         "key_env": key_env, "normalize": True})

    def close(self) -> None:
        self._client.close()

    def _batch(self, texts: list[str]) -> np.ndarray:
        body = {"model": self.model, "input": texts, "encoding_format": "float"}
        try:
            resp = self._client.post("/embeddings", json=body)
        except httpx.HTTPError as exc:
            raise ProviderError(f"embeddings request to {self.base_url} failed "
                                f"({exc.__class__.__name__}); check the URL and network",
                                retryable=True) from None
        if resp.status_code != 200:
            raise ProviderError(f"embeddings endpoint {self.base_url} answered HTTP "
                                f"{resp.status_code}; check the model name and key",
                                retryable=resp.status_code in (408, 409, 429) or resp.status_code >= 500,
                                status=resp.status_code)
        try:
            payload: Any = resp.json()
            items = sorted(payload["data"], key=lambda d: int(d["index"]))
            vecs = np.array([d["embedding"] for d in items], dtype=np.float64)
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError(f"embeddings endpoint {self.base_url} returned a body that is not "
                                f"OpenAI-shaped ({exc.__class__.__name__})") from None
        if vecs.ndim != 2 or vecs.shape[0] != len(texts) or not np.all(np.isfinite(vecs)):
            raise ProviderError(f"embeddings endpoint {self.base_url} returned {vecs.shape[0] if vecs.ndim else 0} "
                                f"vectors for {len(texts)} inputs")
        return vecs

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else "" for t in texts]
        nonempty = [i for i, t in enumerate(texts) if t.strip()]
        parts = [self._batch([texts[i] for i in nonempty[j:j + self.batch_size]])
                 for j in range(0, len(nonempty), self.batch_size)]
        dim = parts[0].shape[1] if parts else 1
        out = np.zeros((len(texts), dim))
        if parts:
            out[nonempty] = np.vstack(parts)
        return l2_normalize(out)
