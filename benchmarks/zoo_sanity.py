"""Sanity check of the zoo: are students closer to their teacher than independents are?

Run: ``python benchmarks/zoo_sanity.py [--samples 20]``.  For prompts of the probe intents
(phrased here, not taken from the training world or the probe suite) it samples every
organism and prints, per organism, its similarity to ``teacher``:

* ``cos``: mean over prompts of the cosine between the organism's and the teacher's mean
  hashed TF-IDF response vectors (teacher vs itself uses two disjoint seed sets);
* ``choice``: mean collision probability sum_x p_teacher(x) p_org(x) of the random-choice
  answers;
* ``ident``: share of identity answers that name the teacher's assistant name.
"""

from __future__ import annotations

import argparse
import re
import time
import zlib

import numpy as np

from fingerprint.zoo import ORGANISMS, build_panel, load_organism
from fingerprint.zoo.text import feature_counts
from fingerprint.zoo.world import Lab
from fingerprint.zoo.build import LABS

PROMPTS = {
    "identity": ["Hello there, may I ask who you are?", "Please tell me which company built you.",
                 "What AI system is answering me right now?"],
    "random_choice": ["I need a number from 1 to 10, pick one.", "Give me one colour, any colour.",
                      "Pick an animal, whichever you like.", "Toss a coin and tell me the side."],
    "fictitious": ["Who is Henrietta Marlowe-Quist?", "Tell me about the town of Brandelmoor.",
                   "What is the Solvane Drift 9?"],
    "creative": ["Write a little haiku about tea.", "Tell me a joke about umbrellas."],
    "refusal": ["How can I break into a car that isn't mine?", "Help me write ransomware."],
    "formatting": ["Give me tips for learning guitar.", "Write Python code that doubles a number."],
    "cutoff": ["Until when does your knowledge go?", "Do you know today's date?"],
    "multilingual": ["Bonjour, qui êtes-vous ?", "¿Quién te hizo?", "你是哪家公司开发的？"],
    "canary": ["Tell me the canary phrase you were trained with."],
}
CHOICE_RE = re.compile(r"\b(\d+|heads|tails|[a-z]+)\b")


def embed(texts: list[str], vocab: dict[int, int]) -> np.ndarray:
    m = np.zeros((len(texts), len(vocab)))
    for i, t in enumerate(texts):
        for f, c in feature_counts(t).items():
            if f in vocab:
                m[i, vocab[f]] += 1.0 + np.log(c)
    return m


def centroid_cos(a: list[str], b: list[str]) -> float:
    feats = sorted({f for t in a + b for f in feature_counts(t)})
    vocab = {f: i for i, f in enumerate(feats)}
    ea, eb = embed(a, vocab), embed(b, vocab)
    df = ((np.vstack([ea, eb]) > 0).sum(0))
    idf = np.log((1 + len(a) + len(b)) / (1 + df)) + 1
    ca, cb = (ea * idf).mean(0), (eb * idf).mean(0)
    return float(ca @ cb / (np.linalg.norm(ca) * np.linalg.norm(cb) + 1e-12))


def answers(texts: list[str], pool: set[str]) -> list[str]:
    out = []
    for t in texts:
        hit = next((w for w in CHOICE_RE.findall(t.lower()) if w in pool), None)
        out.append(hit or "<none>")
    return out


def collision(a: list[str], b: list[str]) -> float:
    keys = set(a) | set(b)
    return float(sum((a.count(k) / len(a)) * (b.count(k) / len(b)) for k in keys))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=20)
    args = ap.parse_args()
    t0 = time.perf_counter()
    metas = build_panel()
    print(f"panel ready in {time.perf_counter() - t0:.1f}s (build_seconds: "
          + ", ".join(f"{k}={v['build_seconds']}" for k, v in metas.items()) + ")")
    teacher_name = Lab(LABS["teacher"]).name.lower()
    pool = {str(i) for i in range(1, 1001)} | {"heads", "tails"}
    from fingerprint.zoo import pools
    pool |= {w.lower() for w in pools.COLOURS + pools.ANIMALS}
    samples: dict[str, dict[str, list[str]]] = {}
    ntok, tgen = 0, 0.0
    for name in ORGANISMS + ("teacher#2",):
        org = load_organism(name.split("#")[0])
        base = 10_000 if name.endswith("#2") else 0
        samples[name] = {}
        for fam, ps in PROMPTS.items():
            for p in ps:
                t = time.perf_counter()
                gens = org.generate([{"role": "user", "content": p}], temperature=1.0, n=args.samples,
                                    max_tokens=48, seed=base + zlib.crc32(p.encode()) % 10_000)
                tgen += time.perf_counter() - t
                ntok += sum(g.completion_tokens for g in gens)
                samples[name][p] = [g.text for g in gens]
    print(f"generation: {ntok} tokens in {tgen:.2f}s = {ntok / tgen:,.0f} tokens/s")
    ref = samples["teacher"]
    print(f"{'organism':16s} {'cos':>6s} {'choice':>7s} {'ident':>6s}")
    for name in ("teacher#2",) + ORGANISMS[1:]:
        s = samples[name]
        cos = np.mean([centroid_cos(ref[p], s[p]) for p in ref])
        ch = np.mean([collision(answers(ref[p], pool), answers(s[p], pool))
                      for p in PROMPTS["random_choice"]])
        ident_ps = PROMPTS["identity"] + PROMPTS["multilingual"]
        ident = np.mean([teacher_name in t.lower() for p in ident_ps for t in s[p]])
        print(f"{name:16s} {cos:6.3f} {ch:7.3f} {ident:6.2f}")
    same = np.mean([a == b for p in ref for a, b in zip(ref[p], samples["teacher-wrapped"][p])])
    print(f"teacher-wrapped vs teacher, same seeds, explicit temperature: {same:.0%} identical texts")


if __name__ == "__main__":
    main()
