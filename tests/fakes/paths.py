"""Where the tests find the checkout and the shared corpora beside it."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"
FIXTURES = REPO / "tests" / "fixtures"
