"""Read answers out of raw responses: choices, identity claims, canaries and style.

Everything here is deterministic text processing, so an extracted label can be recomputed
from a stored response by anyone.  ``extract_answer`` dispatches on a probe's ``answer``
mapping (see docs/probes.md).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .identity import identity_claim
from .numwords import words_to_number

__all__ = ["extract_answer", "identity_claim", "normalize_choice", "normalize_text",
           "style_features"]

_MARKUP_RE = re.compile(r"[*_`#>~]+")
_RANGE_RES = (
    re.compile(r"\b(?:between|from|de|entre|zwischen|von)\s+[\w-]+(?:\s+[\w-]+)?\s+"
               r"(?:and|to|et|à|a|y|und|bis)\s+(?:a\s+)?[\w-]+", re.I),
    re.compile(r"-?\d+\s*(?:-|–|—|to|à|a|bis|~|到|至)\s*\d+", re.I),
    re.compile(r"(?:out of|sur|de|von)\s+\d+", re.I),
    re.compile(r"\d+\s*(?:到|至|和)\s*\d+\s*之间"),
)
_NUMBER_RE = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?!\d)|(?<![\w.])-?\d+(?:\.\d+)?")
_FILLER_RE = re.compile(
    r"^(?:sure|okay|ok|alright|all right|of course|certainly|absolutely|great|no problem|"
    r"here you go|here it is|d'accord|bien sûr|claro|vale|klar|gerne|natürlich)\b[\s!.,:;—-]*",
    re.I)
_CUE_RE = re.compile(
    r"(?:\b(?:is|are|would be|will be|i(?:'d| would| will|'ll)? (?:pick|choose|select|go with|"
    r"say|name|suggest)|i (?:picked|chose|selected)|how about|let's (?:go with|say)|go with|"
    r"my (?:pick|choice|answer)|est|es|ist|c'est|je choisis|elijo|ich wähle)\b|:)\s*", re.I)
_REFUSAL_RE = re.compile(r"^(?:i'?m sorry|sorry|i can(?:no|')t|i am (?:not able|unable)|"
                         r"as an ai|i do(?:n't| not) have)", re.I)
_STOP = {"a", "an", "the", "random", "colour", "color", "name", "city", "animal", "word",
         "one", "my", "is", "le", "la", "les", "el", "los", "las", "der", "die", "das",
         "un", "une", "una", "ein", "eine", "fruit", "number", "letter", "of", "this", "that"}
_MAX_SENTENCE_WORDS = 16
_MAX_WORDS = {"word": 3, "color": 2, "name": 1, "city": 3, "animal": 2}
_SPELLING = {"grey": "gray", "colour": "color"}
_COIN = (("heads", re.compile(r"\b(?:heads?|face|cara|kopf)\b|正面|人头", re.I)),
         ("tails", re.compile(r"\b(?:tails?|pile|cruz|zahl)\b|反面|字", re.I)))


def normalize_text(text: str) -> str:
    """NFKC, case-folded, punctuation turned to spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    return " ".join(text.split())


def _clean(text: str) -> str:
    return " ".join(_MARKUP_RE.sub(" ", unicodedata.normalize("NFKC", text)).split())


def _number(text: str) -> str | None:
    for pattern in _RANGE_RES:
        text = pattern.sub(" ", text)
    match = _NUMBER_RE.search(text)
    if match:
        raw = match.group(0).replace(",", "")
        value = float(raw)
        return str(int(value)) if value.is_integer() else raw
    spelled = words_to_number(text)
    return None if spelled is None else str(spelled)


def _coin(text: str) -> str | None:
    text = re.sub(r"\b(?:heads or tails|pile ou face|cara o cruz|kopf oder zahl)\b", " ",
                  text, flags=re.I)
    hits = [(m.start(), label) for label, rx in _COIN for m in [rx.search(text)] if m]
    return min(hits)[1] if hits else None


_LETTER_EMPHASIS = re.compile(r"\*\*([A-Za-z])\*\*|`([A-Za-z])`|(?<!\*)\*([A-Za-z])\*(?!\*)")
_LETTER_RES = (
    re.compile(r"\b(?:letter|lettre|letra|buchstaben?|option)\s*(?:is\s*)?[:\-]?\s*"
               r"[\"'“‘(]?([A-Za-z])(?![\w'’]|\s+[a-z])", re.I),  # not "letter I pick"
    re.compile(r"[\"'“‘(]([A-Za-z])[\"'”’).]"),
    re.compile(r"(?<![\w'’])([B-HJ-Z])(?![\w'’])"),  # capitals other than the pronoun I, A
    re.compile(r"(?<![\w'’])([A-Za-z])(?![\w'’])"),
)


def _letter(raw: str) -> str | None:
    text = _clean(raw)
    bare = re.sub(r"[^\w]", "", text)
    if len(bare) == 1 and bare.isalpha():
        return bare.casefold()
    match = _LETTER_EMPHASIS.search(raw)
    if match:
        return next(g for g in match.groups() if g).casefold()
    for rx in _LETTER_RES:
        match = rx.search(text)
        if match:
            return match.group(1).casefold()
    return None


def _options_match(text: str, options: list[str]) -> str | None:
    """The option whose first whole-word occurrence comes first (longest wins a tie)."""
    low = normalize_text(text)
    best: tuple[int, int, str] | None = None
    for opt in options:
        key = normalize_text(str(opt))
        match = re.search(rf"(?<!\w){re.escape(key)}(?!\w)", low) if key else None
        if match and (best is None or (match.start(), -len(key)) < best[:2]):
            best = (match.start(), -len(key), key)
    return best[2] if best else None


def _phrase(text: str, normalizer: str) -> str | None:
    """First content phrase: emphasised span, or what follows a cue, or the first words."""
    emphasised = re.search(r"\*\*([^*\n]{1,40})\*\*|__([^_\n]{1,40})__|[\"“]([^\"”\n]{1,40})[\"”]",
                           text)
    if emphasised:
        candidate = next(g for g in emphasised.groups() if g)
    else:
        candidate = _clean(text)
        while _FILLER_RE.match(candidate):
            candidate = _FILLER_RE.sub("", candidate, count=1)
        first = re.split(r"(?<=[.!?])\s+|\n", candidate, maxsplit=1)[0]
        if len(first.split()) > _MAX_SENTENCE_WORDS:  # prose, not a pick
            return None
        cue = None
        for cue in _CUE_RE.finditer(first):
            pass
        if cue is not None and cue.end() < len(first):
            candidate = first[cue.end():]
        else:
            candidate = first
    candidate = re.split(r"[.,!?;:()\[\]\n—–]|\s-\s", _clean(candidate))[0]
    words = [w for w in candidate.split() if w]
    while words and words[0].casefold() in _STOP:
        words.pop(0)
    if not words:
        return None
    limit = _MAX_WORDS.get(normalizer, 3)
    if len(words) > limit + 2:  # a sentence, not an answer
        return None
    words = words[:limit]
    out = " ".join(_SPELLING.get(w.casefold(), w.casefold()) for w in words)
    if normalizer == "animal" and len(out) > 3 and out.endswith("s") \
            and not out.endswith(("ss", "us", "is")):
        out = out[:-1]
    return out.strip("'’\"") or None


def normalize_choice(text: str, answer: dict[str, Any]) -> str | None:
    """The canonical category of a short answer, or None when it cannot be read.

    ``answer["normalizer"]`` is one of number, word, letter, coin, color, name, city, animal.
    When ``answer["options"]`` is given, the answer must be one of them (case-insensitive).
    """
    if not isinstance(text, str) or not text.strip():
        return None
    normalizer = answer.get("normalizer", "word")
    options = answer.get("options")
    cleaned = _clean(text)
    if normalizer == "number":
        label = _number(cleaned)
    elif normalizer == "coin":
        label = _coin(cleaned)
    elif normalizer == "letter":
        label = _letter(text)
    elif options:
        return _options_match(text, [str(o) for o in options])
    else:
        if _REFUSAL_RE.match(cleaned):
            return None
        label = _phrase(text, normalizer)
    if label is not None and options:
        allowed = {normalize_text(str(o)): normalize_text(str(o)) for o in options}
        return allowed.get(normalize_text(label))
    return label


_EMOJI_RE = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\U0001F1E6-\U0001F1FF]")
_OPENERS = (
    ("affirmation", re.compile(r"^(?:sure|certainly|of course|absolutely|okay|ok|great|yes)\b",
                               re.I)),
    ("greeting", re.compile(r"^(?:hello|hi|hey|greetings)\b", re.I)),
    ("apology", re.compile(r"^(?:i'?m sorry|i apologi[sz]e|sorry|unfortunately)", re.I)),
    ("refusal", re.compile(r"^(?:i can(?:no|')t|i am unable|i'm unable|i won't)", re.I)),
    ("ai_disclaimer", re.compile(r"^(?:as an ai|as a (?:large )?language model)", re.I)),
    ("presentation", re.compile(r"^(?:here(?:'s| is| are)|below is)", re.I)),
    ("markup", re.compile(r"^(?:#|\*\*|- |\* |\d+[.)] |```|\|)")),
)
OPENER_CATEGORIES = tuple(name for name, _ in _OPENERS) + ("question", "other")


def style_features(text: str) -> dict[str, float]:
    """Length, markdown, list, punctuation, emoji and opener features of one response.

    Counts are raw counts; ``*_rate`` features are per line or per word.  The opener is a
    one-hot over :data:`OPENER_CATEGORIES` (``opener_<name>``).
    """
    text = text or ""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    words = re.findall(r"\w+", text)
    n_lines = max(len(lines), 1)
    bullets = sum(bool(re.match(r"\s*[-*•+]\s+\S", ln)) for ln in lines)
    numbered = sum(bool(re.match(r"\s*\d+[.)]\s+\S", ln)) for ln in lines)
    headings = sum(bool(re.match(r"\s*#{1,6}\s+\S", ln)) for ln in lines)
    fences = len(re.findall(r"^\s*```", text, re.M))
    features = {
        "chars": float(len(text)),
        "words": float(len(words)),
        "lines": float(len(lines)),
        "mean_word_len": float(sum(map(len, words)) / len(words)) if words else 0.0,
        "headings": float(headings),
        "bold": float(len(re.findall(r"\*\*[^*\n]+\*\*|__[^_\n]+__", text))),
        "italic": float(len(re.findall(r"(?<![*\w])\*[^*\s][^*\n]*\*(?![*\w])", text))),
        "bullets": float(bullets),
        "numbered": float(numbered),
        "list_rate": (bullets + numbered) / n_lines,
        "code_fences": float(fences // 2 + fences % 2),
        "inline_code": float(len(re.findall(r"(?<!`)`[^`\n]+`(?!`)", text))),
        "table_rows": float(sum(bool(re.match(r"\s*\|.*\|\s*$", ln)) for ln in lines)),
        "question_marks": float(text.count("?") + text.count("？")),
        "exclamations": float(text.count("!") + text.count("！")),
        "emoji": float(len(_EMOJI_RE.findall(text))),
        "em_dashes": float(text.count("—")),
        "colons": float(text.count(":")),
        "ends_with_question": float(text.rstrip().endswith(("?", "？"))),
        "markdown": float(bool(headings or bullets or numbered or fences
                               or re.search(r"\*\*[^*\n]+\*\*", text))),
    }
    opener = "other"
    first = text.lstrip()
    for name, rx in _OPENERS:
        if rx.match(first):
            opener = name
            break
    else:
        sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
        if sentence.endswith("?"):
            opener = "question"
    for name in OPENER_CATEGORIES:
        features[f"opener_{name}"] = float(name == opener)
    return features


def canary_hit(text: str, expected: str | list[str]) -> str:
    """"hit" when any expected response appears in ``text`` (both normalised), else "miss"."""
    body = f" {normalize_text(text or '')} "
    alternatives = expected if isinstance(expected, list) else [expected]
    for alt in alternatives:
        needle = normalize_text(str(alt))
        if needle and f" {needle} " in body:
            return "hit"
    return "miss"


def extract_answer(text: str, answer: dict[str, Any]) -> str | None:
    """The categorical label of one response under a probe's ``answer`` mapping.

    free_text → None (read by embeddings and :func:`style_features` instead);
    choice → :func:`normalize_choice`; identity → :func:`identity_claim`;
    canary → "hit" or "miss".
    """
    kind = answer.get("type", "free_text")
    if kind == "choice":
        return normalize_choice(text, answer)
    if kind == "identity":
        return identity_claim(text or "")
    if kind == "canary":
        return canary_hit(text, answer.get("expected", ""))
    return None
