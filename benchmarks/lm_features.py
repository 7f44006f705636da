"""Which answer features carry the teacher's mark on the real ``lm/`` organisms?

The panel test of ``compare`` (per probe d = MMD²(C,R) − MMD²(S,R) and d' = MMD²(S,C) −
MMD²(S,R) for every control, a family-clustered sign-flip test per difference, the panel p
the largest) run on the pooled answers of ``lm_power.py`` (the first ``--samples`` of each
probe's pool, from the response store: run ``lm_power.py`` first) with several kernels in
place of the default one:

- ``tfidf``: the default embedder (hashed character 3–5-gram TF-IDF);
- ``words``: TF-IDF of word unigrams and bigrams (the lineage score's ``term_counts``);
- ``style``: the same on style tokens only (punctuation and the pool's 100 most frequent
  words by document frequency: function words; ``corpus_splits.reduced_corpus``'s rule);
- ``opening`` / ``closing``: the first / last one, two and three words, one-hot;
- ``format``: the standardised style features of ``fingerprint.features.extract`` (length,
  markdown, lists, punctuation, opener), RBF kernel with the median heuristic.

Choice probes are left out (their kernel is the answer's category whatever the embedder).
Prints, per kernel and comparison, each control's mean d and d' with their p-values.

    python benchmarks/lm_features.py [--samples 5] [--suite probes/instructions] [--store PATH]
                                     [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import lm_power  # noqa: E402
from corpus_splits import TOKEN, is_style, style_vocabulary  # noqa: E402
from fingerprint.analysis import term_counts  # noqa: E402
from fingerprint.analysis._lineage import _tfidf as tfidf_rows  # noqa: E402  (the score's own IDF)
from fingerprint.features.embed import HashedTfidfEmbedder, gram, one_hot  # noqa: E402
from fingerprint.features.extract import style_features  # noqa: E402
from fingerprint.stats.cluster import cluster_sign_flip_test  # noqa: E402
from fingerprint.stats.relative import relative_statistic  # noqa: E402
from fingerprint.suite import load_suite  # noqa: E402



def _words(text: str) -> list[str]:
    return TOKEN.findall((text or "").lower())


def _word_tfidf(texts: Sequence[str]) -> np.ndarray:
    """The lineage score's word unigram and bigram TF-IDF (``term_counts``), as a Gram matrix."""
    return gram(tfidf_rows(term_counts(list(texts))))


def _ends(texts: Sequence[str], first: bool) -> np.ndarray:
    """Mean of the one-hot kernels of the first (last) one, two and three words."""
    words = [_words(t) for t in texts]
    return sum(gram(one_hot([" ".join(w[:n] if first else w[-n:]) for w in words]))
               for n in (1, 2, 3)) / 3.0


def _format_kernel(texts: Sequence[str]) -> np.ndarray:
    rows = [style_features(t) for t in texts]
    x = np.array([[r[k] for k in sorted(rows[0])] for r in rows])
    x = np.sign(x) * np.log1p(np.abs(x))
    sd = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=-1)
    med = float(np.median(d2[d2 > 0])) if (d2 > 0).any() else 1.0
    return np.exp(-d2 / med)


def kernels(pool: dict[tuple[str, str], list[str]]) -> dict[str, Callable[[list[str]], np.ndarray]]:
    """Each kernel: the answers to one probe (pooled over models) -> their Gram matrix."""
    style = style_vocabulary(_words(t) for answers in pool.values() for t in answers)
    tfidf = HashedTfidfEmbedder()
    return {
        "tfidf": lambda texts: gram(tfidf.embed(texts)),
        "words": _word_tfidf,
        "style": lambda texts: _word_tfidf([" ".join(w for w in _words(t) if is_style(w, style))
                                            for t in texts]),
        "opening": lambda texts: _ends(texts, first=True),
        "closing": lambda texts: _ends(texts, first=False),
        "format": _format_kernel,
    }


def panel_test(pool: dict[tuple[str, str], list[str]], probes: Sequence[Any], comp: Any,
               kernel: Callable[[list[str]], np.ndarray], samples: int) -> dict[str, Any]:
    """d and d' per control (means over probes, family-clustered p) and the panel p."""
    names = [lm_power.REFERENCE, comp.suspect, *comp.controls]
    k_ctrl = len(comp.controls)
    diffs: list[list[float]] = [[] for _ in range(2 * k_ctrl)]
    families = []
    for probe in probes:
        parts = [pool[(n, probe.id)][:samples] for n in names]
        bounds = np.cumsum([0] + [len(p) for p in parts])
        g = [np.arange(bounds[i], bounds[i + 1]) for i in range(len(parts))]
        k = kernel([t for part in parts for t in part])
        for j, c in enumerate(g[2:]):
            diffs[j].append(relative_statistic(k, g[0], g[1], c))
            diffs[k_ctrl + j].append(relative_statistic(k, g[1], g[0], c))
        families.append(probe.family)
    rng = np.random.default_rng(0)
    p = [float(cluster_sign_flip_test(d, families, rng=rng).p_value) for d in diffs]
    mean = [float(np.mean(d)) for d in diffs]
    return {"suspect": comp.suspect, "controls": list(comp.controls), "panel_p": max(p),
            # the panel p without the suspect-centred guard: what a d-only rule would give
            "panel_p_reference_centred": max(p[:k_ctrl]), "d": mean[:k_ctrl],
            "p_d": p[:k_ctrl], "d_prime": mean[k_ctrl:], "p_d_prime": p[k_ctrl:]}


def format_row(kernel: str, r: dict[str, Any]) -> str:
    each = " ".join(f"{c}: {d:+.3f} (p {p:.2f}) / {dp:+.3f} (p {pp:.2f})" for c, d, p, dp, pp
                    in zip(r["controls"], r["d"], r["p_d"], r["d_prime"], r["p_d_prime"]))
    return (f"{kernel:<8} {r['suspect']:<20} panel p {r['panel_p']:.3f} (d only "
            f"{r['panel_p_reference_centred']:.3f}) | d / d': {each}")


def run_kernels(pool: dict[tuple[str, str], list[str]], probes: Sequence[Any],
                comps: Sequence[Any], samples: int) -> list[dict[str, Any]]:
    """:func:`panel_test` of every comparison under every kernel, each row printed."""
    rows = []
    for name, kernel in kernels(pool).items():
        for comp in comps:
            row = panel_test(pool, probes, comp, kernel, samples)
            rows.append({"kernel": name, **row})
            print(format_row(name, row), flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=5, help="pooled answers per probe and model")
    ap.add_argument("--suite", help="probe suite of the pool (default: the default suite)")
    ap.add_argument("--store", help="response store holding lm_power.py's pool")
    ap.add_argument("--out", type=Path, default=lm_power.RESULTS)
    args = ap.parse_args(argv)
    suite = load_suite(args.suite)
    comps = lm_power.comparisons([f"student-{d}" for d in lm_power.DOSES]
                                 + [lm_power.PARAPHRASED, *lm_power.NO_LINK])
    pool = lm_power.collect_pool(lm_power.organisms_of(comps), suite, pool=args.samples,
                                 seed=lm_power.POOL_SEED, store_path=args.store)
    probes = [p for p in suite.probes if p.answer_type != "choice"]
    rows = run_kernels(pool, probes, comps, args.samples)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lm_features.json").write_text(json.dumps(
        {"command": " ".join(["python benchmarks/lm_features.py", *lm_power.power.without_locations(
            sys.argv[1:] if argv is None else list(argv))]),
         "probes": len(probes), "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
