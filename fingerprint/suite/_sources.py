"""Suites from elsewhere: JSONL/JSON/Parquet/CSV files, saved datasets and ``hf:ORG/NAME``.

Every row becomes a probe through one documented column mapping (docs/probes.md):

=============  ===============================================================
column         meaning
=============  ===============================================================
``id``         probe id (aliases ``probe_id``, ``question_id``); default
               ``<source>-<row number>``
``messages``   a list of ``{role, content}`` (or its JSON text), *or*
``prompt``     the user prompt (aliases ``instruction``, ``question``; the
               FastChat ``turns`` list, of which the first turn is used)
``system``     optional system prompt put before the prompt
``family``     optional (alias ``category``); default ``external``
``rationale``  optional; default ``imported from <source>``
others         ``version``, ``temperature``, ``max_tokens``, ``top_p``,
               ``samples``, ``lang``, ``answer`` (a mapping, its JSON text or
               a bare type name) are read when present and not empty
=============  ===============================================================

Columns not listed are ignored, so a dataset with extra metadata loads as it is.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterable

from ..errors import SuiteError
from ._probe import Probe, Suite, dedupe, probe_from_dict

_ID_COLUMNS = ("id", "probe_id", "question_id")
_PROMPT_COLUMNS = ("prompt", "instruction", "question")
_PASS_THROUGH = ("version", "temperature", "max_tokens", "top_p", "samples", "lang")
_DATASET_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def is_tabular(path: Path) -> bool:
    """True for files and folders read row by row rather than as YAML probe files."""
    if path.is_dir():
        return any((path / m).is_file() for m in _DATASET_MARKERS)
    if path.suffix in (".jsonl", ".parquet", ".csv", ".arrow"):
        return True
    if path.suffix == ".json":
        try:
            return isinstance(json.loads(path.read_text(encoding="utf-8")), list)
        except (OSError, UnicodeDecodeError, ValueError):
            return False  # the YAML reader reports it with a line number
    return False


def _first(row: dict[str, Any], names: Iterable[str]) -> Any:
    for name in names:
        value = row.get(name)
        if value is not None and value != "":
            return value
    return None


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def row_to_probe_dict(row: dict[str, Any], index: int, source: str) -> dict[str, Any]:
    """Map one dataset row onto the probe schema (see the module docstring)."""
    pid = _first(row, _ID_COLUMNS)
    out: dict[str, Any] = {
        "id": str(pid) if pid is not None else f"{source}-{index:05d}",
        "family": str(_first(row, ("family", "category")) or "external"),
        "rationale": str(row.get("rationale") or f"imported from {source}"),
    }
    messages = _maybe_json(row.get("messages"))
    if messages is None or messages == "":
        prompt = _first(row, _PROMPT_COLUMNS)
        turns = _maybe_json(row.get("turns"))
        if prompt is None and isinstance(turns, list) and turns:
            prompt = turns[0].get("content") if isinstance(turns[0], dict) else turns[0]
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else None
        if messages and isinstance(row.get("system"), str) and row["system"].strip():
            messages.insert(0, {"role": "system", "content": row["system"]})
    if isinstance(messages, list):
        messages = [{"role": m.get("role"), "content": m.get("content")} if isinstance(m, dict)
                    else m for m in messages]
    out["messages"] = messages
    for name in _PASS_THROUGH:
        if row.get(name) is not None and row.get(name) != "":
            out[name] = row[name]
    answer = _maybe_json(row.get("answer"))
    if isinstance(answer, dict):
        answer = {k: v for k, v in answer.items() if v is not None}
    if answer not in (None, ""):
        out["answer"] = answer
    return out


def _rows_to_probes(rows: Iterable[tuple[str, dict[str, Any]]], source: str,
                    problems: list[str]) -> list[Probe]:
    probes: list[Probe] = []
    origins: list[str] = []
    for index, (where, row) in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(f"{where}: a row must be a JSON object, got {type(row).__name__}")
            continue
        probe = probe_from_dict(row_to_probe_dict(row, index, source), where, problems)
        if probe is not None:
            probes.append(probe)
            origins.append(where)
    return dedupe(probes, origins, problems)


def jsonl_probes(path: Path, problems: list[str]) -> list[Probe]:
    """Probes of a JSONL file, one row a line; bad lines are reported with their number."""
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot be read ({exc.__class__.__name__}); save it as UTF-8")
        return []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append((f"{path}:{n}", json.loads(line)))
        except ValueError as exc:
            problems.append(f"{path}:{n}: is not valid JSON ({exc.msg}); one object per line")
    return _rows_to_probes(rows, path.stem, problems)


def _finish(probes: list[Probe], problems: list[str], where: str, suite_id: str) -> Suite:
    if not probes and not problems:
        problems.append(f"{where}: holds no rows")
    if problems:
        raise SuiteError(f"suite {where} has {len(problems)} problem(s)", problems)
    return Suite(id=suite_id, version="1", probes=tuple(probes), source=where)


def _dataset_rows(dataset: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{where} row {i}", dict(row)) for i, row in enumerate(dataset)]


def _pick_split(dataset: Any, split: str | None, where: str) -> tuple[Any, str]:
    """A ``DatasetDict`` gives its ``split`` (default train, else its only split)."""
    keys = list(dataset.keys()) if hasattr(dataset, "keys") and not hasattr(dataset, "features") \
        else None
    if keys is None:
        return dataset, where
    chosen = split or ("train" if "train" in keys else keys[0] if len(keys) == 1 else None)
    if chosen not in keys:
        raise SuiteError(f"{where} has splits {', '.join(keys)}; name one as {where}@SPLIT")
    return dataset[chosen], f"{where}@{chosen}"


def load_tabular_suite(path: Path) -> Suite:
    """A suite from a JSONL/JSON/Parquet/CSV file or a ``Dataset.save_to_disk`` folder."""
    problems: list[str] = []
    where = str(path)
    if path.suffix == ".jsonl":
        return _finish(jsonl_probes(path, problems), problems, where, path.stem)
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = [(f"{path} item {i}", r) for i, r in enumerate(data)]
    elif path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            rows = [(f"{path}:{i + 2}", r) for i, r in enumerate(csv.DictReader(fh))]
    else:
        try:
            if path.is_dir():
                import datasets

                dataset, where = _pick_split(datasets.load_from_disk(str(path)), None, where)
                rows = _dataset_rows(dataset, where)
            else:
                import pyarrow.ipc
                import pyarrow.parquet

                table = (pyarrow.parquet.read_table(path) if path.suffix == ".parquet"
                         else pyarrow.ipc.open_stream(path.read_bytes()).read_all())
                rows = [(f"{path} row {i}", r) for i, r in enumerate(table.to_pylist())]
        except SuiteError:
            raise
        except Exception as exc:  # noqa: BLE001 - any reader failure is a user-file problem
            raise SuiteError(f"cannot read {path} as a dataset ({exc.__class__.__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}); check the file"
                             ) from None
    return _finish(_rows_to_probes(rows, path.stem, problems), problems, where, path.stem)


def load_hub_suite(spec: str) -> Suite:
    """A suite from ``hf:ORG/NAME[@SPLIT]`` through ``datasets.load_dataset``."""
    name, _, split = spec[3:].partition("@")
    if not name or name.count("/") > 1 or not name.strip("/"):
        raise SuiteError(f"bad dataset spec {spec!r}; use hf:ORG/NAME or hf:ORG/NAME@SPLIT")
    try:
        import datasets

        dataset = datasets.load_dataset(name, split=split or None)
    except Exception as exc:  # noqa: BLE001 - network, auth and format errors alike
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise SuiteError(f"cannot load dataset {name!r} ({exc.__class__.__name__}: {first[:200]}); "
                         "check the name, the network and HF_TOKEN for gated sets") from None
    dataset, where = _pick_split(dataset, split or None, f"hf:{name}")
    problems: list[str] = []
    source = name.rsplit("/", 1)[-1]
    return _finish(_rows_to_probes(_dataset_rows(dataset, where), source, problems),
                   problems, where, source)
