"""A zoo organism: a retrieval-conditioned n-gram LM that samples with numpy alone.

Conditioning: only the LAST USER MESSAGE is read.  It is embedded with hashed word uni- and
bigram TF-IDF, the ``TOP_K`` most similar training prompts are retrieved and weighted by an
exponential kernel on their cosine, and a local Witten–Bell trigram over their responses is
interpolated into the global Kneser–Ney trigram (:mod:`fingerprint.zoo.ngram`).  System prompts and earlier turns do not change the
distribution — which is why ``teacher-wrapped`` (teacher weights behind a fixed system
prompt) is statistically the teacher whenever a request sets the temperature.

Sampling: sample ``k`` of a call uses ``np.random.default_rng([seed, k])`` (fresh entropy
when ``seed`` is None), so results do not depend on how calls are batched.  Reported
logprobs are the model's own log-probabilities (temperature 1, before top-p), as OpenAI's
are; the token is drawn from the temperature/top-p transformed distribution.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .ngram import BOS_ID, EOS_ID, KNModel, LocalModel
from .text import TfidfIndex, tokenize

TOP_K = 32          # neighbours considered
KERNEL_WIDTH = 0.1  # neighbour weight exp((cos - best_cos) / KERNEL_WIDTH)
MIN_WEIGHT = 0.02   # neighbours below this weight are dropped
_CACHE_SIZE = 1024


@dataclass
class Generation:
    text: str
    finish_reason: str  # "stop" or "length"
    prompt_tokens: int
    completion_tokens: int
    tokens: list[str]
    token_logprobs: list[float]
    top_logprobs: list[list[tuple[str, float]]] | None


def weights_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes, in name order (stable across
    numpy versions and zip timestamps, unlike hashing the .npz file)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def content_text(content) -> str:
    """The text of a message's ``content`` (a string or OpenAI content parts)."""
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def last_user_message(messages: list[dict]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            return content_text(m.get("content"))
    return ""


class Organism:
    """One model of the zoo.  ``arrays`` are its weights (see :mod:`fingerprint.zoo.build`)."""

    def __init__(self, name: str, arrays: dict[str, np.ndarray], *, default_temperature: float = 1.0,
                 system_prompt: str | None = None, weights_sha256: str | None = None):
        self.name = name
        self.default_temperature = float(default_temperature)
        self.system_prompt = system_prompt
        self.weights_sha256 = weights_sha256 or weights_digest(arrays)
        self.vocab: list[str] = [str(t) for t in arrays["vocab"]]
        self.token_id = {t: i for i, t in enumerate(self.vocab)}
        self.global_model = KNModel(arrays)
        self.index = TfidfIndex.from_arrays(arrays, "q_")
        self._resp_tokens = arrays["resp_tokens"]
        self._resp_indptr = arrays["resp_indptr"]
        self._local_cache: OrderedDict[str, LocalModel] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._vocab_arr = np.array(self.vocab, dtype=object)

    # -- conditioning -------------------------------------------------------------------
    def _local(self, query: str) -> LocalModel:
        with self._cache_lock:
            local = self._local_cache.get(query)
            if local is not None:
                self._local_cache.move_to_end(query)
                return local
        idx, weights = self.index.neighbours(query, TOP_K, KERNEL_WIDTH, MIN_WEIGHT)
        seqs = [np.concatenate(([BOS_ID, BOS_ID], self._resp_tokens[self._resp_indptr[i]:
                                                                     self._resp_indptr[i + 1]],
                                [EOS_ID])) for i in idx]
        local = LocalModel(seqs, weights.tolist(), len(self.vocab))
        with self._cache_lock:
            self._local_cache[query] = local
            if len(self._local_cache) > _CACHE_SIZE:
                self._local_cache.popitem(last=False)
        return local

    def next_distribution(self, local: LocalModel, u: int, v: int) -> np.ndarray:
        return local.adapt(self.global_model.dist(u, v), u, v)

    def count_prompt_tokens(self, messages: list[dict]) -> int:
        total = 0
        for m in messages:
            total += 3 + len(tokenize(content_text(m.get("content"))))
        if self.system_prompt and not any(m.get("role") == "system" for m in messages):
            total += 3 + len(tokenize(self.system_prompt))
        return total + 3

    # -- sampling -------------------------------------------------------------------------
    def generate(self, messages: list[dict], *, temperature: float | None = None, top_p: float = 1.0,
                 max_tokens: int = 64, seed: int | None = None, n: int = 1,
                 logprobs: bool = False, top_logprobs: int = 0) -> list[Generation]:
        """Sample ``n`` completions of the conversation ``messages``."""
        temp = self.default_temperature if temperature is None else float(temperature)
        if temp < 0 or not math.isfinite(temp):
            raise ValueError("temperature must be a finite number >= 0")
        if not 0 <= top_p <= 1:
            raise ValueError("top_p must be in [0, 1] (0 keeps only the most likely token)")
        if int(n) < 1 or int(max_tokens) < 1:
            raise ValueError("n and max_tokens must be at least 1")
        local = self._local(last_user_message(messages))
        prompt_tokens = self.count_prompt_tokens(messages)
        out = []
        for k in range(int(n)):
            rng = np.random.default_rng(None if seed is None else [int(seed) % 2**64, k])
            out.append(self._sample(local, rng, temp, float(top_p), int(max_tokens), prompt_tokens,
                                    bool(logprobs) or top_logprobs > 0, int(top_logprobs)))
        return out

    def _sample(self, local: LocalModel, rng: np.random.Generator, temp: float, top_p: float,
                max_tokens: int, prompt_tokens: int, want_lp: bool, top_lp: int) -> Generation:
        u, v = BOS_ID, BOS_ID
        ids: list[int] = []
        lps: list[float] = []
        tops: list[list[tuple[str, float]]] = []
        finish = "length"
        while len(ids) < max_tokens:
            p = self.next_distribution(local, u, v)
            w = self._draw(p, rng, temp, top_p)
            if w == EOS_ID:
                finish = "stop"
                break
            ids.append(w)
            if want_lp:
                lps.append(float(np.log(p[w])))
                if top_lp > 0:
                    best = np.argpartition(-p, top_lp)[:top_lp] if top_lp < len(p) else np.arange(len(p))
                    best = best[np.lexsort((best, -p[best]))]
                    tops.append([(self.vocab[int(b)], float(np.log(p[b]))) for b in best if p[b] > 0])
            u, v = v, w
        tokens = [self.vocab[i] for i in ids]
        return Generation(text="".join(tokens), finish_reason=finish, prompt_tokens=prompt_tokens,
                          completion_tokens=len(ids), tokens=tokens,
                          token_logprobs=lps if want_lp else [],
                          top_logprobs=tops if top_lp > 0 else None)

    @staticmethod
    def _draw(p: np.ndarray, rng: np.random.Generator, temp: float, top_p: float) -> int:
        if temp == 0:
            return int(np.argmax(p))
        q = p
        if temp != 1.0:
            with np.errstate(divide="ignore"):
                logq = np.log(p) / temp
            q = np.exp(logq - logq.max())
        if top_p < 1.0:
            order = np.argsort(-q, kind="stable")
            cum = np.cumsum(q[order])
            keep = order[: int(np.searchsorted(cum, top_p * cum[-1])) + 1]
            q2 = np.zeros_like(q)
            q2[keep] = q[keep]
            q = q2
        cum = np.cumsum(q)
        return int(min(np.searchsorted(cum, rng.random() * cum[-1], side="right"), len(q) - 1))
