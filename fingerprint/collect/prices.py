"""Model prices: a small dated table shipped as data, overridden by ``--price``.

``fingerprint/data/prices.json`` holds list prices (US dollars per million input and output
tokens) for common models, each with the date it was transcribed and the vendor page it
was copied from.  Nothing is fetched at run time, so a figure can be out of date: the
dry-run preview and the report name the date and the source of every price they use, and
``--price SPEC=IN,OUT`` replaces any entry.  ``zoo/`` and ``replay/`` models are free.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable, Mapping

from ..errors import SpecError

FREE_PROVIDERS = frozenset({"zoo", "replay", "lm"})  # local, no bill
OVERRIDE = "--price"


@dataclass(frozen=True)
class Price:
    """US dollars per million prompt (input) and completion (output) tokens."""

    prompt: float
    completion: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1e6


@dataclass(frozen=True)
class Quote:
    """A price and where it came from: the table (with its date and page) or ``--price``."""

    price: Price
    source: str
    date: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"input_usd_per_mtok": self.price.prompt,
                "output_usd_per_mtok": self.price.completion,
                "source": self.source, "date": self.date}

    def label(self) -> str:
        where = "--price" if self.source == OVERRIDE else f"table {self.date}"
        return f"${self.price.prompt:g}/${self.price.completion:g} ({where})"


def parse_price(text: str) -> tuple[str, Price]:
    """``SPEC=IN,OUT`` (dollars per million tokens) → (spec, Price)."""
    spec, eq, rates = text.rpartition("=")
    parts = rates.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if not eq or not spec or len(values) != 2 or any(not math.isfinite(v) or v < 0
                                                      for v in values):
        raise SpecError(f"malformed --price {text!r}: expected SPEC=IN,OUT in dollars per million "
                        "prompt and completion tokens, e.g. openai/gpt-4o=2.5,10")
    return spec.strip(), Price(values[0], values[1])


@functools.lru_cache(maxsize=1)
def price_table() -> tuple[dict[str, Any], dict[str, Quote]]:
    """The shipped table: its header (``about``, ``date``) and one :class:`Quote` per spec."""
    data = json.loads(resources.files("fingerprint").joinpath("data/prices.json")
                      .read_text(encoding="utf-8"))
    quotes = {spec: Quote(Price(float(e["input"]), float(e["output"])), str(e["source"]),
                          str(e["date"])) for spec, e in data["prices"].items()}
    return {"about": data["about"], "date": data["date"]}, quotes


def table_info() -> dict[str, Any]:
    """What a report says about the table: its date and where its figures come from."""
    header, _ = price_table()
    return dict(header)


def quotes(overrides: Iterable[str] = ()) -> dict[str, Quote]:
    """Every known price: the table's, then each ``--price SPEC=IN,OUT`` (which wins)."""
    out = dict(price_table()[1])
    for text in overrides or ():
        spec, price = parse_price(text)
        out[spec] = Quote(price, OVERRIDE)
    return out


def quote_for(spec: Any, known: Mapping[str, Quote]) -> Quote | None:
    """The price of ``spec`` (free for local models), or None when unknown."""
    if spec.provider in FREE_PROVIDERS:
        return Quote(Price(0.0, 0.0), "local")
    return known.get(spec.raw)
