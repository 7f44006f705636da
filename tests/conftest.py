"""Test-session setup: one private cache folder (store + built organisms) for the whole run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Never touch the user's cache; organisms built once are reused by every test."""
    previous = os.environ.get("FINGERPRINT_CACHE_DIR")
    cache = os.environ.get("FINGERPRINT_TEST_CACHE_DIR") or str(tmp_path_factory.mktemp("cache"))
    os.environ["FINGERPRINT_CACHE_DIR"] = cache
    yield Path(cache)
    if previous is None:
        os.environ.pop("FINGERPRINT_CACHE_DIR", None)
    else:
        os.environ["FINGERPRINT_CACHE_DIR"] = previous


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("the shared corpora folder is not beside this checkout")
    return SHARED


# Test modules live in folders that mirror the package; shared helpers (fakes/) sit here.
sys.path.insert(0, str(Path(__file__).resolve().parent))
