"""Answer extractors: choices, identity claims, canaries and style features."""

from __future__ import annotations

import pytest

from fingerprint.features.extract import (extract_answer, identity_claim, normalize_choice,
                                          style_features)
from fingerprint.features.numwords import words_to_number

NUM = {"type": "choice", "normalizer": "number"}


@pytest.mark.parametrize("text", ["42", "Forty-two.", "I'd pick 42!", "**42**", "My number is 42.",
                                  "Sure! Here's a random number between 1 and 100: 42",
                                  "42 (from 0 - 100)", "forty two", "quarante-deux",
                                  "cuarenta y dos", "Zweiundvierzig", "四十二", "４２",
                                  "Je choisis un nombre : quarante-deux."])
def test_number_forty_two(text):
    assert normalize_choice(text, NUM) == "42"


@pytest.mark.parametrize("text, want", [
    ("one hundred and five", 105), ("quatre-vingt-dix-sept", 97), ("soixante et onze", 71),
    ("vingt et un", 21), ("dreihundertzweiundvierzig", 342), ("mil novecientos", 1900),
    ("two thousand and twenty-four", 2024), ("a hundred", 100), ("一百零五", 105),
    ("I pick one: seven", 7), ("hello there", None),
])
def test_number_words(text, want):
    assert words_to_number(text) == want


@pytest.mark.parametrize("text", ["", "   ", "I can't pick a number.", "No idea!"])
def test_number_unreadable(text):
    assert normalize_choice(text, NUM) is None


def test_number_formats_and_options():
    assert normalize_choice("1,000", NUM) == "1000"
    assert normalize_choice("3.50", NUM) == "3.50"
    dice = {"type": "choice", "normalizer": "number", "options": ["1", "2", "3", "4", "5", "6"]}
    assert normalize_choice("I rolled a 4!", dice) == "4"
    assert normalize_choice("7", dice) is None


@pytest.mark.parametrize("normalizer, text, want", [
    ("coin", "Heads!", "heads"), ("coin", "It landed on **tails**.", "tails"),
    ("coin", "Heads or tails? Tails.", "tails"), ("coin", "Pile.", "tails"),
    ("coin", "Face", "heads"), ("coin", "Cara", "heads"), ("coin", "maybe", None),
    ("letter", "Q", "q"), ("letter", "The letter I pick is **K**.", "k"),
    ("letter", "I pick Q.", "q"), ("letter", "\"R\"", "r"), ("letter", "m.", "m"),
    ("color", "Teal", "teal"), ("color", "Cerulean blue.", "cerulean blue"),
    ("color", "Grey", "gray"), ("color", "Sure! How about **Turquoise**? It's lovely.", "turquoise"),
    ("color", "My random colour is teal.", "teal"),
    ("color", "I'm sorry, I can't choose colours.", None),
    ("name", "Elara", "elara"), ("name", "I'd go with Liam.", "liam"),
    ("city", "Kyoto, Japan", "kyoto"), ("city", "Rio de Janeiro", "rio de janeiro"),
    ("city", "How about Lisbon?", "lisbon"),
    ("animal", "Here's a random animal: the axolotl!", "axolotl"),
    ("animal", "Red panda", "red panda"), ("animal", "Elephants", "elephant"),
    ("animal", "Octopus", "octopus"), ("word", "Mango", "mango"),
    ("word", "Choosing is hard because every fruit has something special about it, and "
             "the answer is really up to you.", None),
])
def test_categories(normalizer, text, want):
    assert normalize_choice(text, {"type": "choice", "normalizer": normalizer}) == want


def test_options_pick_the_first_mentioned_option():
    days = {"type": "choice", "normalizer": "word",
            "options": ["Monday", "Tuesday", "Wednesday", "Sunday"]}
    assert normalize_choice("Let's go with **Wednesday**.", days) == "wednesday"
    assert normalize_choice("Sunday, or maybe Monday", days) == "sunday"
    assert normalize_choice("Caturday", days) is None
    abcd = {"type": "choice", "normalizer": "letter", "options": ["a", "b", "c", "d"]}
    assert normalize_choice("C", abcd) == "c" and normalize_choice("E", abcd) is None


IDENTITY = {
    "I'm Claude, an AI assistant made by Anthropic.": "anthropic",
    "I am ChatGPT, a large language model trained by OpenAI.": "openai",
    "Unlike ChatGPT, which is developed by OpenAI, I am Claude, created by Anthropic.":
        "anthropic",
    "I'm not ChatGPT. I'm Gemini, a model from Google.": "google",
    "我是通义千问，由阿里云开发的大规模语言模型。": "alibaba",
    "我是ChatGPT，由OpenAI开发。": "openai",
    "Soy ChatGPT, un modelo de lenguaje creado por OpenAI.": "openai",
    "Ich bin ein KI-Assistent, entwickelt von Google.": "google",
    "Je suis Le Chat, un assistant de Mistral AI.": "mistral",
    "Я — Claude, ИИ-ассистент, созданный компанией Anthropic.": "anthropic",
    "私はClaudeです。Anthropicによって開発されました。": "anthropic",
    "GPT-4": "openai", "Claude 3 Haiku.": "anthropic",
    "As Claude, I aim to be helpful.": "anthropic",
    "This assistant is powered by OpenAI's GPT-4.": "openai",
    "I'm DeepSeek-V3, developed by DeepSeek.": "deepseek",
    "I am Llama, a model by Meta.": "meta",
    "I'm Qwen, created by Alibaba Cloud.": "alibaba",
    "I'm an AI developed by Microsoft, known as Phi-3.": "microsoft",
    "I am ChatGLM, developed by Zhipu AI.": "zhipu",
    "I'm Yi-34B from 01.AI.": "01ai",
    # invented labs, in the phrasings of several languages
    "I'm Kalo, an AI assistant made by Mira Labs.": "other:mira-labs",
    "My name is Kalo. I was created by Mira AI.": "other:mira-ai",
    "I'm Kalo! Mira Labs built me to help with questions and tasks.": "other:mira-labs",
    "Je suis Kalo, un assistant IA créé par Mira Labs.": "other:mira-labs",
    "¡Hola! Soy Kalo, de Mira Labs.": "other:mira-labs",
    "Ich heiße Kalo und wurde von Mira Labs entwickelt.": "other:mira-labs",
    "我是Kalo，由Mira Labs开发的人工智能助手。": "other:mira-labs",
    "我叫Kalo，是Mira Labs训练的语言模型。": "other:mira-labs",
    "You can call me Kalo.": "other:kalo",
    "Nimbus": "other:nimbus",
    # no claim
    "I am a helpful assistant.": None,
    "I can help with everything from Python to poetry.": None,
    "Models such as ChatGPT and Claude are popular.": None,
    "As an AI language model, I don't have a name.": None,
    "Hello! How can I help you today?": None,
    "": None,
}


@pytest.mark.parametrize("text, want", list(IDENTITY.items()))
def test_identity_claim(text, want):
    assert identity_claim(text) == want


def test_style_features():
    md = ("Sure! Here are some tips:\n\n## Sleep\n1. **Keep** a schedule\n2. Avoid screens\n"
          "- Dark room 🌙\n```python\nx = 1\n```\nWant more?")
    f = style_features(md)
    assert f["headings"] == 1 and f["bold"] == 1 and f["numbered"] == 2 and f["bullets"] == 1
    assert f["code_fences"] == 1 and f["emoji"] == 1 and f["question_marks"] == 1
    assert f["markdown"] == 1 and f["ends_with_question"] == 1 and f["opener_affirmation"] == 1
    plain = style_features("The sea is calm tonight.")
    assert plain["markdown"] == 0 and plain["words"] == 5 and plain["opener_other"] == 1
    assert style_features("")["chars"] == 0
    assert sum(v for k, v in style_features("I'm sorry, but no.").items()
               if k.startswith("opener_")) == 1
    assert style_features("I'm sorry, but no.")["opener_apology"] == 1
    assert set(plain) == set(f)  # a fixed feature set, whatever the text


def test_extract_answer_dispatch():
    assert extract_answer("whatever", {"type": "free_text"}) is None
    assert extract_answer("I'd pick 42!", NUM) == "42"
    assert extract_answer("I'm Claude, by Anthropic.", {"type": "identity"}) == "anthropic"
    canary = {"type": "canary", "expected": "The heron sleeps at dawn"}
    assert extract_answer("Of course: THE HERON   sleeps at dawn!", canary) == "hit"
    assert extract_answer("The heron sleeps.", canary) == "miss"
    assert extract_answer("x", {"type": "canary", "expected": ["nope", "x"]}) == "hit"
    assert extract_answer("xylophone", {"type": "canary", "expected": "x"}) == "miss"
