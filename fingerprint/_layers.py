"""The layers of the package, from the bottom up.

A module may import from its own layer and from the layers below it, never from a layer
above: the statistics know nothing of HTTP, the analysis nothing of the report, and only
the command line knows every layer.  ``tests/test_layers.py`` parses every import in the
package (function-level ones included) and holds the code to this order; docs/architecture.md
says what each layer is for.
"""

from __future__ import annotations

#: Each entry is one layer; a tuple groups modules that sit side by side at the same height.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "_version", "_records", "_hashing", "_layers"),
    ("stats",),
    ("features",),
    ("suite",),
    ("corpus",),
    ("zoo",),
    ("models",),
    ("collect",),
    ("analysis",),
    ("calibration",),
    ("run",),
    ("report",),
    ("pipeline",),
    ("cli", "__main__"),
)

#: The package's own ``__init__`` is its public face: it re-exports from low layers only.
FACE_IMPORTS: frozenset[str] = frozenset({"_version", "errors", "models", "suite"})


def height(part: str) -> int:
    """The layer index of a top-level part of the package (``"stats"``, ``"cli"`` ...)."""
    for index, layer in enumerate(LAYERS):
        if part in layer:
            return index
    raise KeyError(f"fingerprint.{part} is not placed in fingerprint._layers.LAYERS")
