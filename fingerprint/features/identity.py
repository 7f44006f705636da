"""Which vendor or model family a response claims to be.

A *claim* is a first-person self-description ("I am Claude", "je suis", "soy", "ich bin",
"我是") or a creator attribution ("created by OpenAI", "entwickelt von", "由…开发").  A
vendor merely mentioned ("unlike ChatGPT, ...") is not a claim.  Known vendors map to
canonical ids ("openai", "anthropic", ...); an unknown name in a claim becomes
``other:<name>`` (lower case, spaces as hyphens), the creator preferred over the persona.
"""

from __future__ import annotations

import re
import unicodedata

VENDORS: tuple[tuple[str, str], ...] = (
    ("openai", r"chat\s?gpt|gpt-?(?:3\.5|4o|4\.1|4|5|3)[\w.-]*|\bgpt\b|open\s?ai|davinci|"
               r"instructgpt"),
    ("anthropic", r"anthropic|claude"),
    ("google", r"google|gemini|\bbard\b|\bpalm\s?2?\b|lamda|gemma|deepmind"),
    ("meta", r"\bmeta\b(?: ai)?|llama|facebook"),
    ("mistral", r"mistral|mixtral|codestral|le chat"),
    ("alibaba", r"alibaba|qwen|tongyi|通义|阿里巴巴|阿里云"),
    ("deepseek", r"deep\s?seek|深度求索"),
    ("microsoft", r"microsoft|\bphi-?\d|copilot|\bbing\b|微软"),
    ("01ai", r"01[.-]ai|\byi-(?:\d|large|lightning|34b|6b)|零一万物"),
    ("zhipu", r"zhipu|chatglm|\bglm-?\d|智谱"),
    ("baidu", r"baidu|\bernie\b|文心|百度"),
    ("moonshot", r"moonshot|\bkimi\b|月之暗面"),
    ("xai", r"\bgrok\b|\bxai\b|\bx\.ai\b"),
    ("cohere", r"cohere|command[- ]r"),
    ("amazon", r"amazon|\btitan\b|\baws\b"),
    ("ai21", r"ai21|jamba"),
    ("tii", r"\bfalcon\b|technology innovation institute"),
    ("nvidia", r"nvidia|nemotron"),
    ("ibm", r"\bibm\b|granite"),
    ("tencent", r"tencent|hunyuan|腾讯|混元"),
    ("bytedance", r"bytedance|doubao|豆包|字节跳动"),
    ("minimax", r"minimax"),
    ("lmsys", r"vicuna|lmsys"),
    ("eleutherai", r"eleuther|gpt-neox?|gpt-j\b|pythia"),
    ("stability", r"stability ai|stablelm"),
)
_VENDOR_RES = tuple((v, re.compile(p, re.I)) for v, p in VENDORS)

# First-person self-descriptions; the claim follows the cue.
_SELF = re.compile(  # "As Claude, ..." only at a sentence start (not "such as ChatGPT")
    r"(?:^|(?<=[.!?\n])\s*)(?:As|as)\s+(?=[A-Z])|"
    r"\b(?:i\s?am|i'm|i’m|my name is|call me|i was|i've been|this is|je suis|"
    r"je m'appelle|je m’appelle|j'ai été|soy|me llamo|fui|ich bin|ich heiße|ich heisse|"
    r"ich wurde|sou|me chamo|меня зовут|я\s?[—–-]|я)\b|我是|我叫|私は|僕は|わたしは", re.I)
# Creator attributions; the creator follows the cue.
_BY = re.compile(
    r"\b(?:(?:created|developed|made|built|trained|designed|powered|brought to you|"
    r"provided|fine-tuned|engineered)\s+by|créée?s?\s+par|développée?s?\s+par|"
    r"conçue?s?\s+par|entraînée?s?\s+par|creada?o?\s+por|desarrollada?o?\s+por|"
    r"entrenada?o?\s+por|criado\s+por|desenvolvido\s+por|entwickelt\s+von|"
    r"trainiert\s+von|(?:создан|разработан|обучен)а?\s+(?:компанией\s+)?)\s*|由|来自|によって",
    re.I)
# Bare prepositions count only after a self-description in the same sentence
# ("Soy Kalo, de Mira Labs"), not in "everything from Python to ...".
_WEAK_BY = re.compile(r"\b(?:from|de|von|bei|par|por|da|от)\s+", re.I)
_L = r"[A-Za-zÀ-ÖØ-öø-ÿ0-9.+'-]"  # Latin name characters (not CJK, which \w would take)
_BUILT_ME = re.compile(rf"([A-ZÀ-Ý]{_L}*(?:\s+[A-Z0-9]{_L}*){{0,3}})\s+"
                       r"(?:built|made|created|trained|developed|designed)\s+me\b")
_ZH_CREATOR = re.compile(r"是\s*([A-Za-z][\w .+-]{0,40}?)\s*(?:开发|训练|创建|打造|研发)")
_NAME = re.compile(rf"(?:the\s+)?([A-ZÀ-Ý0-9]{_L}*(?:\s+[A-Z0-9]{_L}*){{0,3}})")
_NEGATION = re.compile(r"^(?:not|n't|pas|no|nicht|kein|не|不是)\b", re.I)
_GENERIC = {"ai", "ia", "ki", "an", "a", "the", "assistant", "chatbot", "language", "large",
            "sorry", "here", "happy", "glad", "just", "unable", "able", "sure", "hello", "hi",
            "hey", "bonjour", "hola", "hallo", "not", "no", "yes", "it", "i", "this", "that",
            "model", "artificial", "open", "an ai", "un", "une", "el", "la", "ein", "eine",
            "user", "you", "thank", "thanks", "great", "okay", "ok", "well", "certainly"}
_LEGAL = re.compile(r"\b(?:inc|ltd|llc|corp|gmbh|co)\.?$", re.I)
_SENTENCE_END = re.compile(r"[.!?。！？\n]")


def _vendor_in(text: str) -> tuple[int, str] | None:
    """The earliest vendor mention in ``text`` (the longer match wins a tie)."""
    best: tuple[int, int, str] | None = None
    for vendor, rx in _VENDOR_RES:
        m = rx.search(text)
        if m and (best is None or (m.start(), -len(m.group(0))) < best[:2]):
            best = (m.start(), -len(m.group(0)), vendor)
    return (best[0], best[2]) if best else None


def _window(text: str, start: int, limit: int) -> str:
    rest = text[start:start + limit]
    end = _SENTENCE_END.search(rest)
    return rest[:end.start()] if end else rest


def _other(name: str) -> str | None:
    name = _LEGAL.sub("", name.strip(" .,;:!?\"'*()")).strip(" .,")
    words = name.split()
    if not words or words[0].casefold() in _GENERIC or len(name) < 2:
        return None
    if " ".join(words).casefold() in _GENERIC:
        return None
    return "other:" + "-".join(w.casefold() for w in words)


def _claims(text: str, cue: re.Pattern[str], limit: int, after_self: bool = False) -> list[str]:
    out = []
    for m in cue.finditer(text):
        if after_self:
            start = max(text.rfind(c, 0, m.start()) for c in ".!?。！？\n") + 1
            if not _SELF.search(text[start:m.start()]):
                continue
        window = _window(text, m.end(), limit).strip()
        if window and not _NEGATION.match(window):
            out.append(window)
    return out


def identity_claim(text: str) -> str | None:
    """Canonical vendor id claimed by ``text``, ``other:<name>`` for unknown names, or None."""
    if not text or not text.strip():
        return None
    text = unicodedata.normalize("NFKC", text).replace("**", "").replace("`", "")
    self_windows = _claims(text, _SELF, 120)
    by_windows = _claims(text, _BY, 48) + _claims(text, _WEAK_BY, 48, after_self=True)
    for window in self_windows + by_windows:
        hit = _vendor_in(window)
        if hit:
            return hit[1]
    for rx in (_BUILT_ME, _ZH_CREATOR):
        m = rx.search(text)
        if m:
            hit = _vendor_in(m.group(1))
            named = hit[1] if hit else _other(m.group(1))
            if named:
                return named
    for window in by_windows:
        m = _NAME.match(window)
        if m and (named := _other(m.group(1))):
            return named
    for window in self_windows:
        m = _NAME.match(window)
        if m and (named := _other(m.group(1))):
            return named
    words = re.findall(r"\S+", text)
    if len(words) <= 6:
        hit = _vendor_in(text)
        if hit:
            return hit[1]
        if len(words) <= 3:
            m = _NAME.match(text.strip())
            if m:
                return _other(m.group(1))
    return None
