"""Interpolated Kneser–Ney trigram counts stored as plain numpy arrays (the "weights").

The global model is kept in a form that makes one next-token distribution a few vector
operations: a dense continuation-unigram vector ``p1`` plus sparse, already-discounted rows
for every seen bigram context ``v`` and trigram context ``(u, v)``, each with its back-off
weight.  ``P(. | u, v)`` is ``g3 * (g2 * p1 + row2) + row3``.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

BOS_ID, EOS_ID = 0, 1


def _discount(count_of_counts: Counter) -> float:
    n1, n2 = count_of_counts.get(1, 0), count_of_counts.get(2, 0)
    return n1 / (n1 + 2 * n2) if n1 + n2 else 0.75


def _rows(table: dict[int, dict[int, float]], discount: float, V: int):
    """Sparse discounted rows of ``table`` (context -> {word: count}), sorted by context."""
    ctx = np.array(sorted(table), dtype=np.int64)
    indptr = [0]
    words: list[int] = []
    vals: list[float] = []
    gammas = np.empty(len(ctx), dtype=np.float64)
    for i, c in enumerate(ctx):
        row = table[int(c)]
        total = float(sum(row.values()))
        for w in sorted(row):
            words.append(w)
            vals.append(max(row[w] - discount, 0.0) / total)
        gammas[i] = discount * len(row) / total
        indptr.append(len(words))
    return (ctx, np.array(indptr, dtype=np.int64), np.array(words, dtype=np.int32),
            np.array(vals, dtype=np.float64), gammas)


def train_kn(sequences: list[np.ndarray], V: int) -> dict[str, np.ndarray]:
    """Interpolated Kneser–Ney trigram over ``sequences`` (token ids, each starting with
    two BOS and ending with EOS).  Returns the arrays that :class:`KNModel` reads."""
    tri: Counter = Counter()
    for s in sequences:
        tri.update(zip(s[:-2].tolist(), s[1:-1].tolist(), s[2:].tolist()))
    t_table: dict[int, dict[int, float]] = defaultdict(dict)
    cont2: Counter = Counter()  # (v, w) -> number of distinct u
    for (u, v, w), c in tri.items():
        t_table[u * V + v][w] = float(c)
        cont2[(v, w)] += 1
    b_table: dict[int, dict[int, float]] = defaultdict(dict)
    cont1 = np.zeros(V, dtype=np.float64)  # w -> number of distinct v
    for (v, w), c in cont2.items():
        b_table[v][w] = float(c)
        cont1[w] += 1.0
    d3 = _discount(Counter(tri.values()))
    d2 = _discount(Counter(cont2.values()))
    p1 = cont1 / cont1.sum()
    p1 = 0.999 * p1 + 0.001 / (V - 1)  # every token (but BOS) keeps some mass
    p1[BOS_ID] = 0.0
    p1 /= p1.sum()
    out = {"p1": p1}
    for name, table, d in (("b", b_table, d2), ("t", t_table, d3)):
        ctx, indptr, words, vals, gammas = _rows(table, d, V)
        out.update({f"{name}_ctx": ctx, f"{name}_indptr": indptr, f"{name}_words": words,
                    f"{name}_vals": vals, f"{name}_gamma": gammas})
    return out


class KNModel:
    """Next-token distributions of the global trigram."""

    def __init__(self, a: dict[str, np.ndarray]):
        self.p1 = a["p1"]
        self.V = len(self.p1)
        self.b = (a["b_ctx"], a["b_indptr"], a["b_words"], a["b_vals"], a["b_gamma"])
        self.t = (a["t_ctx"], a["t_indptr"], a["t_words"], a["t_vals"], a["t_gamma"])

    @staticmethod
    def _find(table, key: int) -> int:
        ctx = table[0]
        i = int(np.searchsorted(ctx, key))
        return i if i < len(ctx) and ctx[i] == key else -1

    def dist(self, u: int, v: int) -> np.ndarray:
        """``P(. | u, v)`` as a fresh dense vector."""
        p = self.p1.copy()
        for table, key in ((self.b, v), (self.t, u * self.V + v)):
            i = self._find(table, key)
            if i < 0:
                if table is self.b:
                    continue
                break
            _, indptr, words, vals, gamma = table
            p *= gamma[i]
            lo, hi = indptr[i], indptr[i + 1]
            p[words[lo:hi]] += vals[lo:hi]
        return p


class LocalModel:
    """Witten–Bell trigram over the responses of the retrieved neighbours (trigram -> bigram
    -> unigram, all local), mixed with the global model: ``λ·P_local + (1-λ)·P_global``.

    Neighbours enter with weights (their retrieval kernel weight), so counts are real
    numbers.  The Witten–Bell back-off mass of a context is ``T / (M·c + T)`` (``c`` its
    weighted count, ``T`` its distinct followers); ``M = SHARPNESS`` > 1 makes a context
    seen in one or two neighbours trusted instead of backing off half of the time.
    """

    LAMBDA = 0.97
    SHARPNESS = 4.0

    def __init__(self, sequences: list[np.ndarray], weights: list[float], V: int):
        tri: dict[tuple[int, int], Counter] = defaultdict(Counter)
        bi: dict[int, Counter] = defaultdict(Counter)
        uni = np.zeros(V, dtype=np.float64)
        for s, wt in zip(sequences, weights):
            lst = s.tolist()
            for u, v, w in zip(lst, lst[1:], lst[2:]):
                tri[(u, v)][w] += wt
                bi[v][w] += wt
            np.add.at(uni, s[2:], wt)
        self.empty = not sequences
        self.p1 = uni / uni.sum() if uni.sum() else uni
        self.tri = {k: self._pack(c) for k, c in tri.items()}
        self.bi = {k: self._pack(c) for k, c in bi.items()}

    @classmethod
    def _pack(cls, c: Counter):
        words = np.fromiter(c.keys(), dtype=np.int64, count=len(c))
        counts = np.fromiter(c.values(), dtype=np.float64, count=len(c)) * cls.SHARPNESS
        denom = counts.sum() + len(c)
        return words, counts / denom, len(c) / denom

    def adapt(self, p_global: np.ndarray, u: int, v: int) -> np.ndarray:
        """The mixed next-token distribution (reuses ``p_global``'s buffer)."""
        if self.empty:
            return p_global
        p_local = self.p1
        for entry in (self.bi.get(v), self.tri.get((u, v))):
            if entry is not None:
                p_local = p_local * entry[2]
                p_local[entry[0]] += entry[1]
        p_global *= 1.0 - self.LAMBDA
        p_global += self.LAMBDA * p_local
        return p_global
