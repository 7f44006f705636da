"""Frozen dataclasses to JSON and back, validated against their type hints.

Typed results (analysis, verdict, report) are written to ``report.json`` only at the edge
and read back through :func:`from_json`, which checks every field against its declared
type, so a producer and a consumer cannot drift apart silently: a missing, unknown or
mistyped field is one :class:`~fingerprint.errors.SchemaError` naming its path.

Supported hints: dataclasses, ``int``, ``float`` (ints accepted), ``str``, ``bool``,
``None``, unions (``X | None``), ``Literal[...]``, ``list[X]``, ``tuple[X, ...]``,
``tuple[X, Y]``, ``dict[str, X]`` and ``Any`` (any JSON value).  A field whose metadata has
``omit_if_none`` is left out of the JSON when it is None (and may be absent on reading).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, TypeVar, Union, get_args, get_origin

import numpy as np

from .errors import SchemaError

T = TypeVar("T")
OMIT = {"omit_if_none": True}
_HINTS: dict[type, dict[str, Any]] = {}


def optional(**kwargs: Any) -> Any:
    """A dataclass field that defaults to None and is omitted from JSON while None."""
    return dataclasses.field(default=None, metadata=OMIT, **kwargs)


def to_json(value: Any) -> Any:
    """Plain JSON types: dataclasses become objects in field order, tuples lists, numpy
    scalars Python numbers, and NaN/inf None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if v is None and f.metadata.get("omit_if_none"):
                continue
            out[f.name] = to_json(v)
        return out
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    return value


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def from_json(cls: type[T], data: Any, where: str = "") -> T:
    """Build ``cls`` from parsed JSON, checking every field; raise :class:`SchemaError`."""
    return _read(cls, data, where or cls.__name__)


def _fail(where: str, expected: str, got: Any) -> SchemaError:
    shown = type(got).__name__ if not isinstance(got, (str, int, float)) else repr(got)[:40]
    return SchemaError(f"{where}: expected {expected}, found {shown}")


def _read(hint: Any, data: Any, where: str) -> Any:
    if hint is Any:
        return data
    if hint is type(None) or hint is None:
        if data is not None:
            raise _fail(where, "null", data)
        return None
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _read(option, data, where)
            except SchemaError as exc:
                errors.append(str(exc))
        raise errors[0] if len(errors) == 1 else SchemaError(
            f"{where}: matches none of {', '.join(_name(o) for o in options)}")
    if origin is typing.Literal:
        if data not in get_args(hint):
            raise _fail(where, "one of " + ", ".join(map(repr, get_args(hint))), data)
        return data
    if origin in (list, tuple):
        if not isinstance(data, list):
            raise _fail(where, "a list", data)
        args = get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(data) != len(args):
                raise SchemaError(f"{where}: expected {len(args)} items, found {len(data)}")
            return tuple(_read(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data)))
        item = args[0] if args else Any
        items = [_read(item, v, f"{where}[{i}]") for i, v in enumerate(data)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(data, dict):
            raise _fail(where, "an object", data)
        _, value_hint = get_args(hint) or (str, Any)
        return {str(k): _read(value_hint, v, f"{where}.{k}") for k, v in data.items()}
    if dataclasses.is_dataclass(hint):
        return _read_dataclass(hint, data, where)
    if hint is bool:
        if not isinstance(data, bool):
            raise _fail(where, "true or false", data)
        return data
    if hint is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise _fail(where, "an integer", data)
        return data
    if hint is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise _fail(where, "a number", data)
        return float(data)
    if hint is str:
        if not isinstance(data, str):
            raise _fail(where, "a string", data)
        return data
    raise TypeError(f"{where}: unsupported type hint {hint!r}")


def _read_dataclass(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise _fail(where, f"an object ({cls.__name__})", data)
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise SchemaError(f"{where}: unknown field(s) {', '.join(unknown)}")
    values = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _read(hints[name], data[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SchemaError(f"{where}: missing field '{name}'")
    return cls(**values)


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))
