"""The package's import graph: no cycles, no import from a higher layer, a small public face."""

from __future__ import annotations

import ast
import importlib
import pathlib
from collections import defaultdict

import pytest

import fingerprint
from fingerprint import _layers

PACKAGE = pathlib.Path(fingerprint.__file__).parent
MAX_MODULE_LINES = 400


def _module_name(path: pathlib.Path) -> tuple[str, str]:
    """(dotted module name, the package that relative imports start from)."""
    parts = ("fingerprint",) + path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        name = ".".join(parts[:-1])
        return name, name
    name = ".".join(parts)
    return name, name.rsplit(".", 1)[0]


def _is_module(dotted: str) -> bool:
    rel = pathlib.Path(*dotted.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def _targets(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    # `from pkg import sub` imports the submodule `pkg.sub` when there is one.
    subs = [f"{source}.{alias.name}" for alias in node.names if _is_module(f"{source}.{alias.name}")]
    return subs or [source]


def import_graph() -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports, at any depth of code."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        name, package = _module_name(path)
        graph[name]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(node, package):
                    if target == "fingerprint" or target.startswith("fingerprint."):
                        while not _is_module(target) and "." in target:
                            target = target.rsplit(".", 1)[0]  # an attribute, not a module
                        if target != name:
                            graph[name].add(target)
    return dict(graph)


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_resolver_sees_relative_and_function_level_imports():
    graph = import_graph()
    assert "fingerprint.run" in graph["fingerprint.pipeline._compare"]  # `from .. import run`
    assert all(target.startswith("fingerprint") for targets in graph.values() for target in targets)


def test_every_part_of_the_package_has_a_layer():
    for module in import_graph():
        if module != "fingerprint":
            _layers.height(_part(module))


def test_no_import_reaches_up_a_layer():
    upward = []
    for module, targets in import_graph().items():
        for target in targets:
            if module == "fingerprint":
                if _part(target) not in _layers.FACE_IMPORTS:
                    upward.append(f"{module} -> {target}")
            elif target == "fingerprint":
                upward.append(f"{module} -> {target} (the public face imports everything)")
            elif _layers.height(_part(target)) > _layers.height(_part(module)):
                upward.append(f"{module} -> {target}")
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_between_modules():
    # A package's __init__ importing its own private modules is its face, not a cycle.
    graph = {module: {t for t in targets if not (module.startswith(t + ".") and _is_pkg(t))}
             for module, targets in import_graph().items()}
    assert _cycles(graph) == []


def _is_pkg(dotted: str) -> bool:
    return (PACKAGE / pathlib.Path(*dotted.split(".")[1:]) / "__init__.py").is_file()


def test_public_face_is_pinned():
    assert fingerprint.__all__ == ["__version__", "FingerprintError", "ModelSpec", "parse_spec",
                                   "Probe", "Suite", "load_suite"]


@pytest.mark.parametrize("package", sorted(
    ".".join(("fingerprint",) + p.parent.relative_to(PACKAGE).parts)
    for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE and p.parent.name != "_probes"))
def test_subpackages_declare_what_they_export(package):
    module = importlib.import_module(package)
    exported = getattr(module, "__all__", None)
    assert exported, f"{package} has no __all__"
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []


def test_no_module_is_longer_than_the_limit():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}
