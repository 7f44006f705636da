"""Make untrusted text (model answers, served model ids, prompts) safe to display.

A model can answer anything: HTML, ``<script>``, Markdown links and images, runs of
backticks that would close a code fence, ANSI terminal escapes, bidirectional-override
characters that reorder what a reader sees, or 100 KB of text.  Everything here turns
such text into something inert *and* readable: control characters become visible
``\\xNN`` escapes (so an auditor sees that the model emitted them), long text is cut
with a note that says where the full text is, and Markdown output is either fenced with
a fence the text cannot close or backslash-escaped so that no metacharacter stays live.

HTML escaping itself is left to jinja2's autoescape; :func:`visible` runs first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# C0 controls except TAB and LF, DEL, C1 controls, bidi embeddings/overrides/isolates,
# zero-width and invisible formatting characters, line/paragraph separators, BOM.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)

DISPLAY_CHARS = 2000
"""Default number of characters of one answer shown in a report."""
DISPLAY_LINES = 40
"""Default number of lines of one answer shown in a report."""


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """Return ``text`` as a string with every control or invisible character made visible.

    ``\\r\\n`` and lone ``\\r`` become ``\\n`` first, so Windows line ends are not flagged.
    """
    s = "" if text is None else str(text)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub(_escape_char, s)


@dataclass(frozen=True)
class Clipped:
    """An answer prepared for display: the shown text and, if it was cut, a note."""

    text: str
    note: str
    total_chars: int

    @property
    def truncated(self) -> bool:
        return bool(self.note)


def clip(text: object, max_chars: int = DISPLAY_CHARS, max_lines: int = DISPLAY_LINES,
         where: str = "responses.jsonl") -> Clipped:
    """Make ``text`` visible and cut it to ``max_chars`` characters and ``max_lines`` lines."""
    raw = "" if text is None else str(text)
    s = visible(raw)
    shown = s[:max_chars]
    lines = shown.split("\n")
    if len(lines) > max_lines:
        shown = "\n".join(lines[:max_lines])
    if len(shown) == len(s):
        return Clipped(s, "", len(raw))
    note = (f"Truncated for display: showing {len(shown):,} of {len(raw):,} characters; "
            f"the full text is in {where}.")
    return Clipped(shown, note, len(raw))


def one_line(text: object, max_chars: int = 120) -> str:
    """Visible text on one line (newlines and tabs become spaces), cut with an ellipsis."""
    s = visible(text).replace("\n", " ").replace("\t", " ")
    s = re.sub(" {2,}", " ", s).strip()
    return s if len(s) <= max_chars else s[: max_chars - 1] + "…"


_MD_ALWAYS = re.compile(r"([\\`*\[\]<>&!|~$@])")
# "_" opens or closes emphasis only next to a non-alphanumeric character (CommonMark 6.2).
_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# Block starts: ATX heading, list item (marker then space), block quote, setext underline.
_MD_BLOCK_START = re.compile(r"^(?:(#{1,6}|[-+*]|\d{1,9}[.)])(?=\s|$)|>|(=+|-+)\s*$)")
_MD_NUMERIC = re.compile(r"^(?:n/a|< ?[+-]?\d[\d.,]*|[+-]?\d[\d.,]*%?|\[[+-]?\d[\d.]*, [+-]?\d[\d.]*\])$")


def md_inline(text: object, max_chars: int = 5000) -> str:
    """Plain Markdown text on one line, with every character that could start markup escaped.

    CommonMark reads a backslash before ASCII punctuation as a literal, so no link, image,
    emphasis, code span, HTML tag, entity, table pipe, strike-through or math can start from
    the text; ``://``, ``www.`` and ``@`` are broken up so no autolink forms either, and a
    text that would start a block (heading, list, quote) has its first character escaped.
    Numbers as the report formats them (``0.004``, ``+0.59``, ``[+0.44, +0.73]``) are
    inert and kept as they are, for readability.
    """
    s = visible(text).replace("\n", " ").replace("\t", " ")
    if len(s) > max_chars:
        s = s[: max_chars - 1] + "…"
    if _MD_NUMERIC.match(s):
        return s
    s = _MD_ALWAYS.sub(r"\\\1", s)
    s = _MD_UNDERSCORE.sub(r"\\_", s)
    s = s.replace("://", "\\:\\/\\/")
    s = re.sub(r"(?i)\b(www)\.", r"\1\\.", s)
    stripped = s.lstrip(" ")
    m = _MD_BLOCK_START.match(stripped)
    if m:
        # A backslash escapes punctuation only: in "1. x" it goes before the ".".
        cut = len(m.group(1)) - 1 if m.group(1) and m.group(1)[0].isdigit() else 0
        s = s[: len(s) - len(stripped)] + stripped[:cut] + "\\" + stripped[cut:]
    return s


def md_code(text: object, max_chars: int = 200, in_table: bool = False) -> str:
    """A Markdown code span that the text cannot close (for ids a server sent us).

    With ``in_table`` pipes are written ``\\|``, which GFM requires inside a table cell.
    """
    s = one_line(text, max_chars)
    longest = max((len(run) for run in re.findall("`+", s)), default=0)
    ticks = "`" * (longest + 1)
    if in_table:
        s = s.replace("|", "\\|")
    pad = " " if s.startswith("`") or s.endswith("`") or not s.strip() else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def md_fence(c: Clipped) -> str:
    """A fenced Markdown block holding clipped text, with a fence the text cannot close.

    The fence uses ``~`` and is longer than any run of ``~`` in the text; inside a fenced
    block CommonMark renders no HTML, links, images or emphasis.  A truncation note, if
    any, follows the block as escaped text.
    """
    longest = max((len(run) for run in re.findall("~+", c.text)), default=0)
    fence = "~" * max(4, longest + 1)
    body = f"{fence}text\n{c.text}\n{fence}"
    if c.note:
        body += f"\n\n*{md_inline(c.note, 400)}*"
    return body


def md_block(text: object, max_chars: int = DISPLAY_CHARS, max_lines: int = DISPLAY_LINES,
             where: str = "responses.jsonl") -> str:
    """:func:`clip` the text and put it in a :func:`md_fence` block."""
    return md_fence(clip(text, max_chars, max_lines, where))


def short_name(spec: str, limit: int = 80) -> str:
    """A model as a reader names it: the part after ``#`` of a replay spec, else the spec."""
    return one_line(spec.split("#", 1)[1] if "#" in spec else spec, limit)
