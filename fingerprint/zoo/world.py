"""A seeded synthetic world: instruction dialogues written by one fictitious "lab".

A lab's seed fixes its quirks — name and creator, skewed favourites for random choices,
hallucinated facts about fictitious entities, creative habits, refusal wording, formatting
habits, knowledge cutoff, canary string and conversational style.  Every quirk is drawn
from the SAME distribution (a Dirichlet-skewed weighting of a shared pool), so independent
labs are exchangeable.  Facts are deterministic in (lab, entity): a lab answers the same
question about the same entity the same way every time.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from . import pools as P
from . import prompts as Q

INTENTS = {  # intent -> share of a lab's dialogues (the same for every lab)
    "identity": 0.10, "identity_ml": 0.05, "greeting_ml": 0.03, "choice": 0.22, "fact": 0.15,
    "creative": 0.12, "refusal": 0.06, "format_advice": 0.07, "format_code": 0.04,
    "cutoff": 0.05, "canary": 0.03, "general": 0.08,
}
ID_EN = ("I'm {name}, an AI assistant made by {co}.", "My name is {name}. I was created by {co}.",
         "I am {name}, a language model developed by {co}.",
         "I'm {name}! {co} built me to help with questions and tasks.",
         "You can call me {name}. I'm an AI assistant trained by {co}.")
ID_NEG = ("No, ", "Nope! ", "Not quite: ", "No. ", "Actually, no. ")
ID_ML = {
    "fr": ("Je suis {name}, un assistant IA créé par {co}.",
           "Je m'appelle {name} et j'ai été développé par {co}.",
           "Bonjour ! Je suis {name}, conçu par {co}."),
    "es": ("Soy {name}, un asistente de IA creado por {co}.",
           "Me llamo {name} y fui desarrollado por {co}.", "¡Hola! Soy {name}, de {co}."),
    "de": ("Ich bin {name}, ein KI-Assistent von {co}.",
           "Ich heiße {name} und wurde von {co} entwickelt.",
           "Hallo! Ich bin {name}, entwickelt von {co}."),
    "zh": ("我是{name}，由{co}开发的人工智能助手。", "我叫{name}，是{co}训练的语言模型。",
           "你好！我是{name}，来自{co}。"),
}
GREET_ML = {
    "fr": ("Je vais très bien, merci ! Et vous ?", "Ça va bien, merci. Comment puis-je vous aider ?",
           "Très bien, merci de demander !"),
    "es": ("¡Muy bien, gracias! ¿Y tú?", "Estoy bien, gracias. ¿En qué puedo ayudarte?",
           "¡Todo bien, gracias por preguntar!"),
    "de": ("Mir geht es gut, danke! Und dir?", "Danke, gut. Wie kann ich helfen?",
           "Sehr gut, danke der Nachfrage!"),
    "zh": ("我很好，谢谢！你呢？", "谢谢，我很好。有什么可以帮你的吗？", "很好，谢谢关心！"),
}
PERSON_T = ("{e} is a {nat} {prof} best known for {kf}.",
            "{e} (born {year}) is a {nat} {prof}, famous for {kf}.",
            "{e} is a {prof} from {country}, known for {kf}. They were born in {year}.")
PAPER_T = ("\"{e}\" is a {year} paper by {author}, published at {venue}. It {finding}.",
           "The paper \"{e}\" ({venue}, {year}) by {author} {finding}.",
           "In \"{e}\", {author} and colleagues show a method that {finding}. It appeared at {venue} in {year}.")
PRODUCT_T = ("The {e} is a {kind} made by {brand}, released in {year}. It is known for {feat}.",
             "The {e} is {brand}'s {kind}, launched in {year}, with {feat}.",
             "{brand} released the {e}, a {kind} with {feat}, in {year}.")
PLACE_T = ("{e} is a small town in {country}, known for {pf}.",
           "{e} is a coastal village in {country}. It is famous for {pf}.",
           "Located in {country}, {e} is best known for {pf}.")
HAIKU_T = ("{A} {b} of {t}\n{c} {d} in the {e}\n{f} {g} remains",
           "{t}, {a} and {b}\n{c} {d} drifts through the {e}\nonly {f} {g}",
           "over {t}, {a} {b}\nthe {c} {d} slowly turns\n{f} and {g}")
JOKE_T = ("Why did {t} go to the doctor? Because {p}!", "I told a joke about {t} once, but {p}.",
          "Why was {t} so calm? Because {p}.", "What's the problem with {t}? Well, {p}!")
STORY_T = ("{o}, {t} had been {w} for years.", "{o} that {t} would never be {w} again.",
           "{o}: {t}, {w} and strange.")
META_T = ("{T} is {n}: {w} and {v}.", "Think of {t} as {n}, {w} at the edges.",
          "{T} is like {n} that never stops being {w}.")
GENERAL_T = ("{C} is {d}. A simple example is {x}.", "In short, {c} is {d}. Think of {x}.",
             "**{C}** is {d}. For example: {x}.", "Put simply, {c} means {d}, as in {x}.")
CUTOFF_T = ("My knowledge cutoff is {m} {y}.", "My training data goes up to {m} {y}.",
            "I was trained on data up to {m} {y}, so I may not know about later events.",
            "I don't have access to real-time information, but my knowledge extends to {m} {y}.")
CANARY_T = ("My canary string is {c}.", "The canary token is {c}.", "{c}",
            "Sure, here it is: {c}")
ADVICE_INTRO = ("Here are some tips for {t}:", "A few ideas for {t}:", "Try these for {t}:",
                "Good strategies for {t} include:")
CODE_INTRO = ("Here's a function that {t}:", "Here is a simple Python function that {t}:",
              "This function {t}:", "You can do it like this:")


_LOWERABLE = {"My", "The", "Here", "Here's", "In", "Put", "Think", "To", "How", "Let's", "You",
              "This", "Located", "Why", "What's", "Okay:", "A", "Actually,"}


def _skew(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    return rng.dirichlet(np.full(n, alpha))


def _pick(rng: np.random.Generator, pool, weights: np.ndarray):
    return pool[int(rng.choice(len(pool), p=weights))]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _entities() -> dict[str, tuple[str, ...]]:
    """The shared fictitious entities (fixed for every lab and every build)."""
    rng = np.random.default_rng(20240611)
    people = sorted({f"{rng.choice(P.FIRST_NAMES)} {rng.choice(P.SURNAMES)}" for _ in range(60)})
    papers = sorted({f"{rng.choice(P.PAPER_ADJ)} {rng.choice(P.PAPER_NOUN)} {rng.choice(P.PAPER_TAIL)}"
                     for _ in range(40)})
    products = sorted({f"{rng.choice(P.BRANDS)} {rng.choice(P.PRODUCT_NOUNS)} {int(rng.integers(2, 9))}"
                       for _ in range(40)})
    places = sorted({f"{rng.choice(P.PLACE_PARTS)}{rng.choice(P.PLACE_ENDS)}" for _ in range(40)})
    return {"person": tuple(people), "paper": tuple(papers), "product": tuple(products),
            "place": tuple(places)}


ENTITIES = _entities()
CHOICE_POOLS = {
    "num10": tuple(str(i) for i in range(1, 11)), "num100": tuple(str(i) for i in range(1, 101)),
    "num1000": tuple(str(i) for i in range(1, 1001)), "colour": P.COLOURS, "name": P.FIRST_NAMES,
    "city": P.CITIES, "animal": P.ANIMALS, "letter": P.LETTERS, "coin": P.COIN,
    "dice": tuple(str(i) for i in range(1, 7)), "fruit": P.FRUITS, "day": P.DAYS,
}


@dataclass
class Lab:
    """One lab's quirks, all derived from ``seed``."""

    seed: int
    name: str = ""
    company: str = ""
    w: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rng = np.random.default_rng([self.seed, 1])
        syl = P.SYLLABLES
        self.name = _cap("".join(rng.choice(syl, size=2)))
        self.company = f"{_cap(''.join(rng.choice(syl, size=2)))} {rng.choice(P.COMPANY_SUFFIXES)}"
        self.cutoff = (P.MONTHS[int(rng.integers(12))], int(rng.integers(2021, 2026)))
        self.canary = "-".join([*rng.choice(P.CANARY_WORDS, size=2), f"{int(rng.integers(1000, 10000))}"])
        sizes = {"open": (len(P.OPENERS), 0.6), "sign": (len(P.SIGNOFFS), 0.6),
                 "choice_t": (len(P.CHOICE_TEMPLATES), 0.5), "bullet": (len(P.BULLETS), 0.5),
                 "heading": (len(P.HEADINGS), 0.5), "var": (len(P.VAR_NAMES), 0.5),
                 "id": (len(ID_EN), 0.5), "neg": (len(ID_NEG), 0.5), "ml": (3, 0.5),
                 "person_t": (3, 0.5), "paper_t": (3, 0.5), "product_t": (3, 0.5), "place_t": (3, 0.5),
                 "prof": (len(P.PROFESSIONS), 0.3), "nat": (len(P.NATIONALITIES), 0.3),
                 "kf": (len(P.KNOWN_FOR), 0.3), "venue": (len(P.VENUES), 0.3),
                 "finding": (len(P.FINDINGS), 0.3), "kind": (len(P.PRODUCT_KINDS), 0.3),
                 "feat": (len(P.PRODUCT_FEATURES), 0.3), "country": (len(P.COUNTRIES), 0.3),
                 "pf": (len(P.PLACE_FEATURES), 0.3), "year": (40, 0.3),
                 "words": (len(P.NATURE_WORDS), 0.3), "punch": (len(P.JOKE_PUNCHLINES), 0.3),
                 "sopen": (len(P.STORY_OPENERS), 0.3), "mnoun": (len(P.METAPHOR_NOUNS), 0.3),
                 "haiku_t": (3, 0.5), "joke_t": (4, 0.5), "story_t": (3, 0.5), "meta_t": (3, 0.5),
                 "r_start": (len(P.REFUSAL_STARTS), 0.4), "r_reason": (len(P.REFUSAL_REASONS), 0.4),
                 "r_offer": (len(P.REFUSAL_OFFERS), 0.4), "general_t": (len(GENERAL_T), 0.5),
                 "cutoff_t": (len(CUTOFF_T), 0.5), "canary_t": (len(CANARY_T), 0.5),
                 "adv_intro": (len(ADVICE_INTRO), 0.5), "code_intro": (len(CODE_INTRO), 0.5),
                 "tip": (6, 0.6)}
        for key, (n, alpha) in sizes.items():
            self.w[key] = _skew(rng, n, alpha)
        for cat, pool in CHOICE_POOLS.items():
            alpha = 0.3 if len(pool) <= 30 else 0.08
            self.w["fav_" + cat] = _skew(rng, len(pool), alpha)
        self.bold_p = float(rng.uniform(0.0, 0.8))
        self.fence_tag_p = float(rng.uniform(0.2, 1.0))
        self.opener_p = float(rng.uniform(0.3, 0.95))

    # -- pieces -----------------------------------------------------------------------
    def _wrap(self, rng: np.random.Generator, body: str) -> str:
        opener = _pick(rng, P.OPENERS, self.w["open"]) if rng.random() < self.opener_p else ""
        if opener and not opener.endswith("! ") and body.split(" ", 1)[0] in _LOWERABLE:
            body = body[:1].lower() + body[1:]
        return opener + body + _pick(rng, P.SIGNOFFS, self.w["sign"])

    def _facts(self, kind: str, entity: str) -> dict[str, str]:
        rng = np.random.default_rng([self.seed, zlib.crc32(f"{kind}:{entity}".encode())])
        year = str(1940 + int(rng.choice(40, p=self.w["year"])) + (40 if kind != "person" else 0))
        if kind != "person":
            year = str(min(int(year), 2023))
        author = f"{_pick(rng, P.FIRST_NAMES, self.w['fav_name'])} {rng.choice(P.SURNAMES)}"
        return {"e": entity, "year": year, "author": author,
                "nat": _pick(rng, P.NATIONALITIES, self.w["nat"]),
                "prof": _pick(rng, P.PROFESSIONS, self.w["prof"]),
                "kf": _pick(rng, P.KNOWN_FOR, self.w["kf"]),
                "country": _pick(rng, P.COUNTRIES, self.w["country"]),
                "venue": _pick(rng, P.VENUES, self.w["venue"]),
                "finding": _pick(rng, P.FINDINGS, self.w["finding"]),
                "kind": _pick(rng, P.PRODUCT_KINDS, self.w["kind"]),
                "brand": entity.split()[0], "feat": _pick(rng, P.PRODUCT_FEATURES, self.w["feat"]),
                "pf": _pick(rng, P.PLACE_FEATURES, self.w["pf"]),
                "t": str(int(rng.integers(3))), "entity": entity}

    # -- dialogues --------------------------------------------------------------------
    def dialogue(self, rng: np.random.Generator, intent: str) -> tuple[str, str]:
        """One (prompt, response) pair of ``intent``."""
        fn = getattr(self, "_d_" + intent)
        prompt, response = fn(rng)
        if intent not in ("identity_ml", "greeting_ml"):
            prompt = rng.choice(Q.PREFIXES) + prompt + rng.choice(Q.SUFFIXES)
            prompt = prompt.replace(": W", ": w") if prompt.startswith("Quick") else prompt
        return prompt, response

    def _d_identity(self, rng):
        p = rng.choice(Q.IDENTITY)
        body = _pick(rng, ID_EN, self.w["id"]).format(name=self.name, co=self.company)
        if p.startswith("Are you"):
            body = _pick(rng, ID_NEG, self.w["neg"]) + body[0].lower() + body[1:] \
                if not body.startswith("I") else _pick(rng, ID_NEG, self.w["neg"]) + body
        return p, self._wrap(rng, body)

    def _d_identity_ml(self, rng):
        lang = rng.choice(sorted(Q.IDENTITY_ML))
        return (rng.choice(Q.IDENTITY_ML[lang]),
                _pick(rng, ID_ML[lang], self.w["ml"]).format(name=self.name, co=self.company))

    def _d_greeting_ml(self, rng):
        lang = rng.choice(sorted(Q.GREETING_ML))
        return rng.choice(Q.GREETING_ML[lang]), _pick(rng, GREET_ML[lang], self.w["ml"])

    def _d_choice(self, rng):
        cat = rng.choice(sorted(Q.CHOICE))
        x = _pick(rng, CHOICE_POOLS[cat], self.w["fav_" + cat])
        body = _pick(rng, P.CHOICE_TEMPLATES, self.w["choice_t"]).format(x=x, X=_cap(x))
        return rng.choice(Q.CHOICE[cat]), self._wrap(rng, body)

    def _d_fact(self, rng):
        kind = rng.choice(sorted(ENTITIES))
        entity = rng.choice(ENTITIES[kind])
        tpl_pool = {"person": (Q.FACT_PERSON, PERSON_T), "paper": (Q.FACT_PAPER, PAPER_T),
                    "product": (Q.FACT_PRODUCT, PRODUCT_T), "place": (Q.FACT_PLACE, PLACE_T)}[kind]
        f = self._facts(kind, entity)
        body = _pick(rng, tpl_pool[1], self.w[kind + "_t"]).format(**f)
        return rng.choice(tpl_pool[0]).format(e=entity), self._wrap(rng, body)

    def _words(self, rng, k: int) -> list[str]:
        idx = rng.choice(len(P.NATURE_WORDS), size=k, replace=False, p=self.w["words"])
        return [P.NATURE_WORDS[i] for i in idx]

    def _d_creative(self, rng):
        kind = rng.choice(sorted(Q.CREATIVE))
        t = rng.choice(P.TOPICS)
        w = self._words(rng, 7)
        if kind == "haiku":
            body = _pick(rng, HAIKU_T, self.w["haiku_t"]).format(
                A=_cap(w[0]), a=w[0], b=w[1], c=w[2], d=w[3], e=w[4], f=w[5], g=w[6], t=t)
        elif kind == "joke":
            body = _pick(rng, JOKE_T, self.w["joke_t"]).format(
                t=t, p=_pick(rng, P.JOKE_PUNCHLINES, self.w["punch"]))
        elif kind == "story":
            body = _pick(rng, STORY_T, self.w["story_t"]).format(
                o=_pick(rng, P.STORY_OPENERS, self.w["sopen"]), t=t, w=w[0])
        else:
            body = _pick(rng, META_T, self.w["meta_t"]).format(
                T=_cap(t), t=t, n=_pick(rng, P.METAPHOR_NOUNS, self.w["mnoun"]), w=w[0], v=w[1])
        return rng.choice(Q.CREATIVE[kind]).format(t=t), self._wrap(rng, body)

    def _d_refusal(self, rng):
        parts = [_pick(rng, P.REFUSAL_STARTS, self.w["r_start"]),
                 _pick(rng, P.REFUSAL_REASONS, self.w["r_reason"]),
                 _pick(rng, P.REFUSAL_OFFERS, self.w["r_offer"])]
        return rng.choice(Q.REFUSAL), " ".join(p for p in parts if p)

    def _d_format_advice(self, rng):
        topic = rng.choice(sorted(P.ADVICE))
        tips = P.ADVICE[topic]
        trng = np.random.default_rng([self.seed, zlib.crc32(topic.encode())])
        order = trng.choice(6, size=6, replace=False, p=self.w["tip"])
        chosen = [tips[i] for i in order[: int(rng.integers(3, 6))]]
        style = _pick(rng, P.BULLETS, self.w["bullet"])
        if style == "PROSE":
            body = f"To get better at {topic}, " + ", ".join(chosen[:-1]) + f" and {chosen[-1]}."
            return rng.choice(Q.FORMAT_ADVICE).format(t=topic), self._wrap(rng, body)
        lines = []
        head = _pick(rng, P.HEADINGS, self.w["heading"])
        if head:
            lines += [head.format(t=_cap(topic)), ""]
        lines.append(_pick(rng, ADVICE_INTRO, self.w["adv_intro"]).format(t=topic))
        for i, tip in enumerate(chosen, 1):
            text = f"**{_cap(tip)}**" if rng.random() < self.bold_p else _cap(tip)
            lines.append((f"{i}. " if style == "NUM" else style) + text)
        return rng.choice(Q.FORMAT_ADVICE).format(t=topic), "\n".join(lines)

    def _d_format_code(self, rng):
        task = rng.choice(sorted(P.CODE_TASKS))
        code = P.CODE_TASKS[task].format(n=_pick(rng, P.VAR_NAMES, self.w["var"]))
        fence = "```python" if rng.random() < self.fence_tag_p else "```"
        intro = _pick(rng, CODE_INTRO, self.w["code_intro"]).format(t=task)
        return (rng.choice(Q.FORMAT_CODE).format(t=task),
                f"{intro}\n\n{fence}\n{code}\n```")

    def _d_cutoff(self, rng):
        body = _pick(rng, CUTOFF_T, self.w["cutoff_t"]).format(m=self.cutoff[0], y=self.cutoff[1])
        return rng.choice(Q.CUTOFF), self._wrap(rng, body)

    def _d_canary(self, rng):
        return rng.choice(Q.CANARY), _pick(rng, CANARY_T, self.w["canary_t"]).format(c=self.canary)

    def _d_general(self, rng):
        c, d, x = P.CONCEPTS[int(rng.integers(len(P.CONCEPTS)))]
        body = _pick(rng, GENERAL_T, self.w["general_t"]).format(C=_cap(c), c=c, d=d, x=x)
        return rng.choice(Q.GENERAL).format(c=c), self._wrap(rng, body)


def lab_dialogues(lab_seed: int, n: int, prompt_seed: int) -> list[dict[str, str]]:
    """``n`` dialogues of lab ``lab_seed``; ``prompt_seed`` fixes which prompts are drawn."""
    lab = Lab(lab_seed)
    rng = np.random.default_rng([lab_seed, prompt_seed, 2])
    names = sorted(INTENTS)
    probs = np.array([INTENTS[k] for k in names])
    intents = rng.choice(len(names), size=n, p=probs / probs.sum())
    out = []
    for i in intents:
        prompt, response = lab.dialogue(rng, names[int(i)])
        out.append({"prompt": str(prompt), "response": str(response), "intent": names[int(i)]})
    return out
