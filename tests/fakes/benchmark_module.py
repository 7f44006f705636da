"""Import a script of benchmarks/ (not a package) for its tests, and forget it afterwards."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from types import ModuleType
from typing import Iterator

from .paths import REPO


@contextlib.contextmanager
def benchmark_module(script: str, *also_forget: str) -> Iterator[ModuleType]:
    """``benchmarks/<script>.py`` as the module ``<script>_benchmark``; on exit it and the
    modules named in ``also_forget`` (ones the script loads itself) leave ``sys.modules``."""
    name = f"{script}_benchmark"
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being defined
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        for gone in (name, *also_forget):
            sys.modules.pop(gone, None)
