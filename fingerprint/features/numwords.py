"""Spelled-out numbers in English, French, Spanish, German and Chinese → integers.

Only what random-number answers need: whole numbers up to the millions ("forty-two",
"quatre-vingt-dix-sept", "cuarenta y dos", "zweiundvierzig", "四十二").
"""

from __future__ import annotations

import re
import unicodedata

_UNITS = {
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    # French
    "zéro": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40,
    "cinquante": 50, "soixante": 60,
    # Spanish (hundreds are additive words: "doscientos", "ciento")
    "cero": 0, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13,
    "catorce": 14, "quince": 15, "dieciséis": 16, "dieciseis": 16, "diecisiete": 17,
    "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintiún": 21,
    "veintidós": 22, "veintidos": 22, "veintitrés": 23, "veintitres": 23,
    "veinticuatro": 24, "veinticinco": 25, "veintiséis": 26, "veintiseis": 26,
    "veintisiete": 27, "veintiocho": 28, "veintinueve": 29, "treinta": 30, "cuarenta": 40,
    "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
    "cien": 100, "ciento": 100, "doscientos": 200, "trescientos": 300,
    "cuatrocientos": 400, "quinientos": 500, "seiscientos": 600, "setecientos": 700,
    "ochocientos": 800, "novecientos": 900,
    # German (compounds such as "zweiundvierzig" are split by _split_german)
    "null": 0, "eins": 1, "ein": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5,
    "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
    "dreizehn": 13, "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16, "siebzehn": 17,
    "achtzehn": 18, "neunzehn": 19, "zwanzig": 20, "dreißig": 30, "dreissig": 30,
    "vierzig": 40, "fünfzig": 50, "sechzig": 60, "siebzig": 70, "achtzig": 80, "neunzig": 90,
}
_HUNDRED = {"hundred", "cent", "cents", "hundert"}
_THOUSAND = {"thousand": 1000, "mille": 1000, "mil": 1000, "tausend": 1000,
             "million": 1_000_000, "millions": 1_000_000, "millón": 1_000_000,
             "millones": 1_000_000, "millionen": 1_000_000, "millon": 1_000_000}
_CONNECTORS = {"and", "et", "y", "und"}
#: Words that are numbers but usually articles; a run of only one of these is skipped.
_ARTICLES = {"un", "une", "uno", "una", "ein", "eine", "one", "a"}
_GERMAN_PARTS = sorted([w for w in _UNITS if w.isalpha() and len(w) > 2 and w in {
    "eins", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun",
    "zehn", "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn",
    "achtzehn", "neunzehn", "zwanzig", "dreißig", "dreissig", "vierzig", "fünfzig",
    "sechzig", "siebzig", "achtzig", "neunzig"}] + ["und", "hundert", "tausend"],
    key=len, reverse=True)
#: Words, and punctuation marks as run breakers (hyphens and spaces join number words).
_TOKEN_RE = re.compile(r"[^\W\d_]+|[^\s\w-]", re.UNICODE)


def _split_german(word: str) -> list[str] | None:
    """Split a German compound numeral ("dreihundertzweiundvierzig") into known parts."""
    parts: list[str] = []
    rest = word
    while rest:
        for part in _GERMAN_PARTS:
            if rest.startswith(part):
                parts.append(part)
                rest = rest[len(part):]
                break
        else:
            return None
    return parts if len(parts) > 1 else None


def _is_number_word(tok: str) -> bool:
    return tok in _UNITS or tok in _HUNDRED or tok in _THOUSAND


def _value(tokens: list[str]) -> int | None:
    total, current, seen = 0, 0, False
    for i, tok in enumerate(tokens):
        if tok in _CONNECTORS or tok == "a":
            continue
        seen = True
        if tok in _HUNDRED:
            current = max(current, 1) * 100
        elif tok in _THOUSAND:
            total += max(current, 1) * _THOUSAND[tok]
            current = 0
        elif tok in ("vingt", "vingts") and current % 100 == 4 and i > 0 and tokens[i - 1] == "quatre":
            current += 76  # quatre-vingt = 4 × 20
        else:
            current += _UNITS[tok]
    return total + current if seen else None


def _runs(tokens: list[str]) -> list[list[str]]:
    """Maximal runs of number words, joined by connectors only where a language allows."""
    runs: list[list[str]] = []
    run: list[str] = []
    for i, tok in enumerate(tokens):
        if _is_number_word(tok) or (tok == "a" and i + 1 < len(tokens)
                                    and tokens[i + 1] in _HUNDRED | set(_THOUSAND)):
            prev_small = run and _UNITS.get(run[-1], 100) < 10
            if prev_small and _UNITS.get(tok, 100) < 10:  # "one seven" is two numbers
                runs.append(run)
                run = []
            run.append(tok)
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in _CONNECTORS and run and _is_number_word(nxt):
            prev = run[-1]
            tens_units = (prev in _UNITS and _UNITS[prev] % 10 == 0
                          and _UNITS.get(nxt, 99) < (20 if tok == "et" else 10))  # et onze
            units_tens = (tok == "und" and _UNITS.get(prev, 99) < 10
                          and _UNITS.get(nxt, 1) % 10 == 0)
            if prev in _HUNDRED or prev in _THOUSAND or tens_units or units_tens:
                run.append(tok)
                continue
        if run:
            runs.append(run)
        run = []
    if run:
        runs.append(run)
    return runs


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for tok in _TOKEN_RE.findall(unicodedata.normalize("NFC", text).casefold()):
        if _is_number_word(tok) or tok in _CONNECTORS or tok == "a":
            out.append(tok)
        else:
            split = _split_german(tok)
            out.extend(split if split else [tok])
    return out


_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_ZH_RE = re.compile(r"[零〇一二两三四五六七八九十百千万]+")


def _zh_value(run: str) -> int:
    total, section, digit = 0, 0, 0
    for ch in run:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
        else:
            section += (digit or 1) * _ZH_UNITS[ch]
            digit = 0
    return total + section + digit


def words_to_number(text: str) -> int | None:
    """The first spelled-out whole number in ``text``, or None.

    A run made of a lone article-like word ("un", "ein", "one") is used only when no other
    run exists, so "Je choisis un nombre : sept" reads 7.
    """
    runs = _runs(_tokens(text))
    chosen = next((r for r in runs if not (len(r) == 1 and r[0] in _ARTICLES)), None)
    if chosen is None and runs and runs[0] != ["a"]:
        chosen = runs[0]
    if chosen is not None:
        return _value(chosen)
    for match in _ZH_RE.finditer(text):
        if match.group(0) == "一" and text[match.end():match.end() + 1] in ("个", "下", "些"):
            continue  # 一个 = "a", not the number one
        return _zh_value(match.group(0))
    return None
