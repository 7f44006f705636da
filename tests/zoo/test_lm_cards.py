"""The committed ``lm/`` adapters and their provenance cards: hashes match the files, the
total stays small, and no fine-tuning prompt is a probe of the suite (by normalised text)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "fingerprint" / "data" / "lm"
CARDS = [c for c in sorted(DATA.glob("*.json")) if json.loads(c.read_text()).get("adapter")]
BASE_CARDS = [c for c in sorted(DATA.glob("*.json")) if c not in CARDS]


def _norm(text: str) -> str:
    # written here on its own, not imported from the build script, so the two can disagree
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _probe_hashes() -> set[str]:
    out = set()
    for path in (REPO / "probes").rglob("*.yaml"):
        data = yaml.safe_load(path.read_text()) or {}
        for probe in data.get("probes", []) if isinstance(data, dict) else []:
            for m in probe.get("messages") or []:
                out.add(hashlib.sha256(_norm(m["content"]).encode()).hexdigest()[:16])
    return out


def test_there_are_cards():
    if not CARDS:
        pytest.skip("no lm/ adapters committed")
    assert all((DATA / json.loads(c.read_text())["adapter"]["file"]).is_file() for c in CARDS)


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_card_hash_matches_the_adapter(card):
    meta = json.loads(card.read_text())
    adapter = DATA / meta["adapter"]["file"]
    assert hashlib.sha256(adapter.read_bytes()).hexdigest() == meta["adapter"]["sha256"]
    assert adapter.stat().st_size == meta["adapter"]["bytes"]
    assert meta["name"] == f"lm/{card.stem}"


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_no_fine_tuning_prompt_is_a_probe(card):
    meta = json.loads(card.read_text())
    used = set(meta["prompt_hashes"])
    assert len(used) == len(meta["prompt_hashes"])
    assert not used & _probe_hashes()


def test_normalisation_matches_the_build_script():
    """The cards' hashes were made by the build script; the same rule must give the same hash."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lm_data", REPO / "scripts/lm_build/data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for text in ["Who are you?", "  Name ONE colour!\n", "Écris un poème — court."]:
        assert mod.prompt_hash(text) == hashlib.sha256(_norm(text).encode()).hexdigest()[:16]
    # and a probe really is caught by the overlap rule the build uses
    assert mod.overlaps("who are you", {_norm("Who are you?")})


def test_a_card_without_an_adapter_is_a_base_model_with_its_hash():
    for card in BASE_CARDS:
        meta = json.loads(card.read_text())
        assert meta["kind"] == "base-model" and meta["examples"] == 0
        assert re.fullmatch(r"[0-9a-f]{64}", meta["base"]["sha256"]) and meta["base"]["wheel"]


def test_adapters_stay_small():
    total = sum(p.stat().st_size for p in DATA.glob("*.gguf"))
    assert total <= 30 * 1024 * 1024


def test_the_hash_table_in_the_docs_is_the_cards():
    """docs/zoo.md § Adapter hashes is a hand copy of the cards: it must not drift."""
    rows = re.findall(r"^\| `lm/([\w-]+)` \| `([0-9a-f]{64})` \| ([\d,]+) \| ([\d,]+) \| (\d+) \|$",
                      (REPO / "docs" / "zoo.md").read_text(), flags=re.M)
    table = {name: (sha, int(size.replace(",", "")), int(tokens.replace(",", "")), int(secs))
             for name, sha, size, tokens, secs in rows}
    cards = {}
    for card in CARDS:
        meta = json.loads(card.read_text())
        cards[card.stem] = (meta["adapter"]["sha256"], meta["adapter"]["bytes"],
                            meta["training"]["trained_tokens"], meta["training"]["train_seconds"])
    assert table == cards


def test_rewrite_prompt_ends_where_the_paraphrase_begins():
    """The laundering organism's paraphrases are completions of this prompt: the text to
    rewrite comes last, on one line, after the worked examples, and a stop ends the rewrite
    before the model starts another example."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lm_data", REPO / "scripts/lm_build/data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    prompt = mod.rewrite_prompt("First line.\n\n  Second   line.")
    assert prompt.endswith("Text: First line. Second line.\nRewritten:")
    assert prompt.count("Rewritten:") == len(mod.REWRITE_SHOTS) + 1
    assert all(a in prompt and b in prompt for a, b in mod.REWRITE_SHOTS)
    assert "\nText:" in mod.REWRITE_STOP and "\n\n" in mod.REWRITE_STOP
