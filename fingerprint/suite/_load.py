"""Loading probe suites: versioned YAML files of crafted prompts, read with ``yaml.safe_load``.

A suite is a folder (or one file).  ``suite.yaml`` in the folder holds ``suite: {id,
version, exclude}``; every other ``*.yaml`` file holds ``probes:``, a list of probes.
Files matching an ``exclude`` pattern (for example ``templates/*``) are not part of the
suite.  Suites from elsewhere (JSONL, JSON, Parquet, CSV, a folder written by
``Dataset.save_to_disk`` or ``hf:ORG/NAME``) go through :mod:`._sources`, which maps their
columns onto the same probe schema.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import yaml

from ..errors import SuiteError
from . import _sources
from ._probe import FILE_FIELDS, SUITE_FIELDS, Probe, Suite, dedupe, probe_from_dict

_REPO_SUITE = Path(__file__).resolve().parents[2] / "probes"
_INSTALLED_SUITE = Path(__file__).resolve().parents[1] / "_probes"
# A source checkout reads probes/ at the top of the repository; an installed package reads
# the copy that pyproject.toml installs as fingerprint/_probes.
DEFAULT_SUITE = _REPO_SUITE if (_REPO_SUITE / "suite.yaml").is_file() else _INSTALLED_SUITE
_YAML_SUFFIXES = (".yaml", ".yml")
#: the ``source`` of the suite that ships with the tool (public: see the report's limitations)
BUILT_IN_SOURCE = "built-in:probes"


def _probe_lines(text: str) -> list[int]:
    """1-based line of each item of the top-level ``probes:`` list ([] when not found)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "probes" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def read_yaml(path: Path, problems: list[str]) -> tuple[Any, list[int]]:
    """``yaml.safe_load`` a file; return (data, line of each probe) or (None, [])."""
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.safe_load(text), _probe_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}:" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(f"{path}:{line} is not valid YAML ({problem}); fix the syntax there")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot be read ({exc.__class__.__name__}); "
                        "save it as UTF-8 text")
    return None, []


def _excluded(rel: str, patterns: list[str]) -> bool:
    for pat in patterns:
        pat = pat.strip("/")
        if fnmatch.fnmatch(rel, pat) or rel.startswith(pat + "/"):
            return True
    return False


def _suite_meta(data: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    meta = data.get("suite")
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        problems.append(f"{where}: 'suite' must be a mapping with id and version")
        return {}
    unknown = sorted(set(meta) - SUITE_FIELDS)
    if unknown:
        problems.append(f"{where}: unknown suite field(s) {', '.join(unknown)} "
                        f"(allowed: {', '.join(sorted(SUITE_FIELDS))})")
    exclude = meta.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        problems.append(f"{where}: 'suite.exclude' must be a list of path patterns")
        meta = {**meta, "exclude": []}
    return meta


def _yaml_files(root: Path, problems: list[str]) -> tuple[list[Path], dict[str, Any]]:
    """The files of a folder suite, minus the excluded ones, and the root suite.yaml meta."""
    meta: dict[str, Any] = {}
    for name in ("suite.yaml", "suite.yml"):
        if (root / name).is_file():
            data, _ = read_yaml(root / name, [])  # problems are reported when it is read again
            if isinstance(data, dict):
                meta = _suite_meta(data, str(root / name), [])
            break
    patterns = [p for p in meta.get("exclude", []) if isinstance(p, str)]
    files = sorted(f for f in root.rglob("*") if f.is_file()
                   and f.suffix in _YAML_SUFFIXES + (".jsonl",)
                   and not _excluded(f.relative_to(root).as_posix(), patterns))
    return files, meta


def load_yaml_probes(files: list[Path], problems: list[str]
                     ) -> tuple[list[Probe], list[str], dict[str, Any]]:
    """Read YAML probe files; return probes (duplicates not yet checked), where each one
    was defined (``file:line``) and the last suite meta."""
    probes: list[Probe] = []
    origins: list[str] = []
    meta: dict[str, Any] = {}
    for f in files:
        data, lines = read_yaml(f, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(f"{f}: expected a mapping with 'probes:' (or 'suite:' metadata)")
            continue
        unknown = sorted(set(data) - FILE_FIELDS)
        if unknown:
            problems.append(f"{f}: unknown top-level key(s) {', '.join(unknown)} "
                            "(allowed: suite, probes)")
        meta = _suite_meta(data, str(f), problems) or meta
        raw_probes = data.get("probes", [])
        if not isinstance(raw_probes, list):
            problems.append(f"{f}: 'probes' must be a list")
            continue
        for i, raw in enumerate(raw_probes):
            where = f"{f}:{lines[i]}" if i < len(lines) else str(f)
            probe = probe_from_dict(raw, where, problems)
            if probe is not None:
                probes.append(probe)
                origins.append(where)
    return probes, origins, meta


def load_suite(path: str | Path | None = None) -> Suite:
    """Load and validate a suite; raise :class:`SuiteError` listing every problem.

    ``path`` is a YAML file or folder (the default suite when None), a JSONL/JSON/Parquet/
    CSV file, a folder written by ``Dataset.save_to_disk``, or ``hf:ORG/NAME[@SPLIT]``.
    """
    if path is not None and str(path).startswith("hf:"):
        return _sources.load_hub_suite(str(path))
    root = Path(path) if path is not None else DEFAULT_SUITE
    if not root.exists():
        raise SuiteError(f"suite {root} does not exist; pass --suite PATH to a probe file or "
                         "folder, or hf:ORG/NAME for a dataset")
    if _sources.is_tabular(root):
        return _sources.load_tabular_suite(root)
    problems: list[str] = []
    if root.is_dir():
        files, meta = _yaml_files(root, problems)
    else:
        files, meta = [root], {}
    yaml_files = [f for f in files if f.suffix != ".jsonl"]
    probes, origins, file_meta = load_yaml_probes(yaml_files, problems)
    meta = meta or file_meta
    for f in (f for f in files if f.suffix == ".jsonl"):
        more = _sources.jsonl_probes(f, problems)
        probes += more
        origins += [str(f)] * len(more)
    probes = dedupe(probes, origins, problems)
    if not probes and not problems:
        problems.append(f"{root}: holds no probes; add a YAML file with a 'probes:' list")
    if problems:
        raise SuiteError(f"suite {root} has {len(problems)} problem(s)", problems)
    return Suite(id=str(meta.get("id", root.stem)), version=str(meta.get("version", "1")),
                 probes=tuple(probes), source=BUILT_IN_SOURCE if path is None else str(root))


