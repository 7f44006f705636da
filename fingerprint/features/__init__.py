"""Features of answers: what an answer says (``extract``) and where it sits (``embed``).

Both are deterministic functions of a stored response, so any figure built on them can be
recomputed from the run folder.
"""

from .embed import DEFAULT_EMBEDDER, Embedder, embedder_for
from .extract import extract_answer, normalize_choice, normalize_text, style_features
from .identity import identity_claim

__all__ = ["DEFAULT_EMBEDDER", "Embedder", "embedder_for", "extract_answer", "identity_claim",
           "normalize_choice", "normalize_text", "style_features"]
