"""Labelled cases from a response corpus: each pair analysed as ``compare`` analyses replayed
corpus models, over random panels and prompt subsets."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..analysis import ResponseSet, analyze
from ..corpus import Corpus, load_corpus
from ..errors import CalibrationError
from ..suite import Probe
from ._fit import Case
from ._pairs import excluded_by, pair_id, related_models, stable_int

CORPUS_PROMPTS = (100, 200, 400, 800)
CORPUS_REPLICATES = 8
CORPUS_CONTROLS = 5


def corpus_response_set(data: Corpus, reference: str, suspect: str, controls: Sequence[str],
                        prompt_ids: Sequence[str]) -> ResponseSet:
    """Corpus models' answers to ``prompt_ids`` as ``compare`` would have collected them from
    replayed models: one answer per prompt, each prompt a probe of family ``corpus``."""
    ids = list(prompt_ids)
    probes = tuple(Probe(id=pid, family="corpus", version=1, rationale="corpus prompt",
                         messages=({"role": "user", "content": data.prompts.get(pid, "")},))
                   for pid in ids)
    one = lambda m: {pid: [t] for pid, t in zip(ids, data.texts(m, ids))}  # noqa: E731
    return ResponseSet(probes=probes, reference=one(reference), suspect=one(suspect),
                       controls=tuple(one(c) for c in controls), control_names=tuple(controls))


def corpus_cases(corpus: str, pairs: list[dict[str, Any]], *, seed: int,
                 replicates: int = CORPUS_REPLICATES, prompt_counts: tuple[int, ...] = CORPUS_PROMPTS,
                 n_controls: int | None = CORPUS_CONTROLS, source: str = "corpus",
                 log: Callable[[str], None] | None = None) -> list[Case]:
    """Cases of corpus pairs, one answer per prompt, analysed as ``compare`` analyses replayed
    corpus models.  Replicate r draws a control panel of ``n_controls`` models (None: every
    eligible model) that share no
    documented lineage with the reference or the suspect (``excluded_controls``; unless the
    pair lists its own controls) and a random subset of
    ``prompt_counts[r % len]`` shared prompts, so the map sees the range of panel and suite
    sizes it will meet."""
    data = load_corpus(corpus)
    related = related_models(pairs)
    cases = []
    for pair in pairs:
        ref, sus = pair["reference"], pair["suspect"]
        data.check_models([ref, sus] + list(pair.get("controls") or []))
        banned = excluded_by(related, ref, sus)
        pool = list(pair.get("controls") or [m for m in data.models if m not in banned])
        if not pool:
            raise CalibrationError(f"pair {pair_id(pair)} has no eligible control in {corpus}")
        rng = np.random.default_rng([seed, stable_int(pair_id(pair))])
        for r in range(replicates):
            size = len(pool) if n_controls is None else min(n_controls, len(pool))
            controls = sorted(rng.choice(pool, size=size, replace=False).tolist()) \
                if not pair.get("controls") else pool
            shared = data.shared_prompts([ref, sus, *controls])
            size = min(prompt_counts[r % len(prompt_counts)], len(shared))
            ids = sorted(rng.choice(shared, size=size, replace=False).tolist())
            rs = corpus_response_set(data, ref, sus, controls, ids)
            evidence = analyze(rs, seed=seed + r).result.evidence.as_dict()
            cases.append(Case(pair=pair_id(pair), label=pair["y"], evidence=evidence,
                              source=pair.get("source", source), kind=pair["kind"],
                              info={"controls": controls, "prompts": size, "replicate": r}))
            if log:
                log(f"{pair_id(pair)} r{r} n={size}: t_min={evidence.get('distill_t_min')} "
                    f"eff={evidence.get('effect_standardized')}")
    return cases
