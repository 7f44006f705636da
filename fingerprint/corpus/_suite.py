"""A corpus's shared prompts as a probe suite: what a replay run without ``--suite`` asks."""

from __future__ import annotations

from pathlib import Path

from ..errors import CorpusError
from ..suite import Probe, Suite
from ._corpus import Corpus, load_corpus


def corpus_suite(corpus: Corpus | str, prompts: list[str] | None = None,
                 models: list[str] | None = None) -> Suite:
    """A probe suite of the corpus prompts (those answered by all ``models``, default all).

    Family ``corpus``, free-text answers, one sample each; the probe id is the corpus's
    prompt id (a hash of the prompt text where the corpus has none).
    """
    c = load_corpus(corpus) if isinstance(corpus, str) else corpus
    ids = prompts if prompts is not None else c.shared_prompts(models)
    missing = [pid for pid in ids if pid not in c.prompts]
    if missing:
        raise CorpusError(f"corpus {c.source} has no prompt text for id {missing[0]!r}; "
                          "a FastChat folder needs question.jsonl beside or above the answers")
    probes = tuple(Probe(id=str(pid), family="corpus", version=1,
                         rationale=f"prompt {pid} of corpus {Path(c.source).name}",
                         messages=({"role": "user", "content": c.prompts[pid]},),
                         temperature=0.7, max_tokens=2048, samples=1,
                         answer={"type": "free_text"}) for pid in ids)
    if not probes:
        raise CorpusError(f"corpus {c.source}: the chosen models share no prompt")
    return Suite(id=f"corpus-{Path(c.source).name}", version="1", probes=probes, source=c.source)


