"""Everything the installed package reads at run time is declared in pyproject.toml."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = None

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_every_subpackage_is_listed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.relative_to(REPO).parent.parts)
             for p in (REPO / "fingerprint").rglob("__init__.py")}
    assert found <= set(config["packages"])
    assert config["package-dir"]["fingerprint._probes"] == "probes"
