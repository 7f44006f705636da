"""Tokenising and hashed TF-IDF features for the zoo's n-gram organisms.

Tokens carry their leading whitespace (``" Sure"``, ``","``, ``"\\n"``), like the byte-level
tokenizers of real LLMs, so detokenising is plain concatenation and round-trips exactly:
no space ever lands before punctuation, newlines and Markdown survive, and CJK text (one
token per character, no spaces) is kept as written.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD = rf"[^\W{_CJK}]+(?:['’][^\W{_CJK}]+)*"
_TOKEN_RE = re.compile(
    rf"\n|[ \t]+(?=\n|$)|[ \t]*(?:[{_CJK}]|{_WORD}|[^\w\s])",
)
_FEATURE_RE = re.compile(rf"[{_CJK}]|{_WORD}")

BOS = "<s>"
EOS = "</s>"
N_FEATURES = 1 << 18


def tokenize(text: str) -> list[str]:
    """Split ``text`` into whitespace-carrying tokens; ``"".join(tokenize(t)) == t`` for
    text whose whitespace is spaces, tabs and newlines (``\\r`` is normalised away)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _TOKEN_RE.findall(text)


def detokenize(tokens: list[str]) -> str:
    """Join tokens back into text (the inverse of :func:`tokenize`)."""
    return "".join(t for t in tokens if t not in (BOS, EOS))


def _hash(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) % N_FEATURES


def _shape(word: str, first: bool) -> str:
    if not first and word[:1].isupper():
        return "<cap>"
    return word.lower()


def feature_counts(text: str) -> dict[int, float]:
    """Hashed word unigram and bigram counts of ``text``: lower-cased words, plus the same
    sequence with word shapes (``<cap>`` for capitalised non-initial words), so "Tell me about Ada Quenby" finds "Tell me about Umar Varnholt" even though
    the names were never seen."""
    raw = _FEATURE_RE.findall(text)
    words = [w.lower() for w in raw]
    shapes = [_shape(w, i == 0) for i, w in enumerate(raw)]
    counts: dict[int, float] = {}
    feats = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
    feats += [s for s, w in zip(shapes, words) if s != w]
    feats += [f"{a} {b}" for a, b, x, y in zip(shapes, shapes[1:], words, words[1:])
              if (a, b) != (x, y)]
    for f in feats:
        h = _hash(f)
        counts[h] = counts.get(h, 0.0) + 1.0
    return counts


class TfidfIndex:
    """Cosine search over hashed TF-IDF vectors, stored column-wise (feature -> rows).

    Only numpy arrays: ``indptr``/``rows``/``vals`` are a CSC matrix over the
    ``N_FEATURES`` hashed features, ``idf`` is dense.  Scoring a query touches only the
    columns of its own features, so search is microseconds for short prompts.
    """

    def __init__(self, feat_ids: np.ndarray, indptr: np.ndarray, rows: np.ndarray,
                 vals: np.ndarray, idf: np.ndarray, n_docs: int):
        self.feat_ids, self.indptr, self.rows, self.vals = feat_ids, indptr, rows, vals
        self.idf, self.n_docs = idf, n_docs

    @classmethod
    def build(cls, texts: list[str]) -> "TfidfIndex":
        docs = [feature_counts(t) for t in texts]
        df: dict[int, int] = {}
        for d in docs:
            for f in d:
                df[f] = df.get(f, 0) + 1
        feat_ids = np.array(sorted(df), dtype=np.int64)
        n = len(texts)
        idf = np.log((1.0 + n) / (1.0 + np.array([df[int(f)] for f in feat_ids], dtype=np.float64))) + 1.0
        col_of = {int(f): i for i, f in enumerate(feat_ids)}
        entries: list[tuple[int, int, float]] = []
        for r, d in enumerate(docs):
            weights = {col_of[f]: (1.0 + np.log(c)) * idf[col_of[f]] for f, c in d.items()}
            norm = float(np.sqrt(sum(w * w for w in weights.values()))) or 1.0
            entries.extend((c, r, w / norm) for c, w in weights.items())
        entries.sort()
        cols = np.array([e[0] for e in entries], dtype=np.int64)
        rows = np.array([e[1] for e in entries], dtype=np.int32)
        vals = np.array([e[2] for e in entries], dtype=np.float32)
        indptr = np.searchsorted(cols, np.arange(len(feat_ids) + 1)).astype(np.int64)
        return cls(feat_ids, indptr, rows, vals, idf.astype(np.float32), n)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}feat_ids": self.feat_ids, f"{prefix}indptr": self.indptr,
                f"{prefix}rows": self.rows, f"{prefix}vals": self.vals, f"{prefix}idf": self.idf,
                f"{prefix}n_docs": np.array([self.n_docs], dtype=np.int64)}

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray], prefix: str) -> "TfidfIndex":
        return cls(a[f"{prefix}feat_ids"], a[f"{prefix}indptr"], a[f"{prefix}rows"],
                   a[f"{prefix}vals"], a[f"{prefix}idf"], int(a[f"{prefix}n_docs"][0]))

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of ``text`` to every indexed document."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        q = feature_counts(text)
        cols = np.searchsorted(self.feat_ids, np.array(sorted(q), dtype=np.int64))
        weights = []
        for f, c in zip(sorted(q), cols):
            if c < len(self.feat_ids) and self.feat_ids[c] == f:
                weights.append((int(c), (1.0 + np.log(q[f])) * float(self.idf[c])))
        norm = float(np.sqrt(sum(w * w for _, w in weights))) or 1.0
        for c, w in weights:
            lo, hi = self.indptr[c], self.indptr[c + 1]
            out[self.rows[lo:hi]] += (w / norm) * self.vals[lo:hi]
        return out

    def top_k(self, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices and scores of the ``k`` most similar documents with a positive score,
        best first (ties broken by index, so results are deterministic)."""
        s = self.scores(text)
        pos = np.flatnonzero(s > 1e-9)
        order = np.lexsort((pos, -np.round(s[pos], 9)))[:k]
        return pos[order], s[pos[order]]

    def neighbours(self, text: str, k: int, width: float, min_weight: float):
        """Top-``k`` documents with kernel weights ``exp((s - s_best) / width)``; documents
        whose weight falls below ``min_weight`` are dropped."""
        idx, s = self.top_k(text, k)
        if idx.size == 0:
            return idx, s
        w = np.exp((s - s[0]) / width)
        keep = w >= min_weight
        return idx[keep], w[keep]
