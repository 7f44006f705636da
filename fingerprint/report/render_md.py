"""report.md: the same content as report.html, for plain-text review.

Markdown has no autoescape, so the environment brings its own: every ``{{ value }}`` is
passed through :func:`~fingerprint.report.escape.md_inline` by jinja2's ``finalize``
unless a filter already made it safe (``block`` fences an answer, ``code``/``cellcode``
make a code span the text cannot close, ``raw`` is for the renderer's own plot paths).
Forgetting a filter therefore errs on the side of escaping, never of rendering markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from ..run import Report
from .escape import Clipped, clip, md_code, md_fence, md_inline
from .view import build_view

TEMPLATES = Path(__file__).parent / "templates"


class MdSafe(str):
    """Text that is already valid, inert Markdown and must not be escaped again."""


def _finalize(value: Any) -> str:
    if isinstance(value, MdSafe):
        return value
    return "" if value is None else md_inline(value)


def _block(value: Any) -> MdSafe:
    return MdSafe(md_fence(value if isinstance(value, Clipped) else clip(value)))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                             finalize=_finalize, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["block"] = _block
    env.filters["code"] = lambda v: MdSafe(md_code(v))
    env.filters["cellcode"] = lambda v: MdSafe(md_code(v, in_table=True))
    env.filters["raw"] = lambda v: MdSafe(str(v))
    return env


def render_markdown(report: Report, run_dir: Path) -> str:
    """The report.md text for ``report``; plots are referenced as ``plots/NAME.png``."""
    del run_dir  # everything comes from report; the argument keeps the renderers' API uniform
    text = _environment().get_template("report.md.j2").render(v=build_view(report))
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text
