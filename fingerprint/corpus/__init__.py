"""Response corpora: many named models' stored answers to the same prompts.

One loader per public layout (AlpacaEval, FastChat, plain JSONL), detected automatically;
prompt normalisation and hashing sit at the bottom, shared by every layout and by the
replay provider.  See docs/corpora.md.
"""

from ._corpus import LAYOUTS, Corpus, clear_cache, detect_layout, load_corpus, source_files
from ._io import iter_jsonl
from ._prompts import normalize_prompt, prompt_hash
from ._suite import corpus_suite

__all__ = ["LAYOUTS", "Corpus", "clear_cache", "corpus_suite", "detect_layout", "iter_jsonl",
           "load_corpus", "normalize_prompt", "prompt_hash", "source_files"]
