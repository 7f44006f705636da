"""The default probe suite, the suite schema, its error messages and external suites."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from fingerprint.errors import SuiteError
from fingerprint.suite import DEFAULT_SUITE, NORMALIZERS, load_suite
from fingerprint.cli.probes import list_command, validate_command

FAMILIES = {"identity", "random_choice", "fictitious", "creative", "refusal", "formatting",
            "cutoff", "multilingual"}
GOOD = """\
probes:
  - id: p-one
    family: demo
    version: 1
    rationale: A test probe.
    messages:
      - {role: user, content: "Pick a number."}
    max_tokens: 8
    answer: {type: choice, normalizer: number}
"""


def test_default_suite_validates_and_is_large_enough():
    code, text = validate_command(str(DEFAULT_SUITE))
    assert code == 0, text
    suite = load_suite()
    assert suite.id == "fingerprint-default"
    assert len(suite.probes) >= 60
    assert FAMILIES <= set(suite.families())
    assert all(n >= 5 for f, n in suite.families().items())
    assert "canary" not in suite.families()  # the template stays out of the default suite


def test_default_suite_probes_are_cheap_and_documented():
    for p in load_suite().probes:
        assert p.rationale.strip() and p.messages[-1]["role"] == "user"
        limit = {"choice": 16, "identity": 64}.get(p.answer_type, 96)
        assert p.max_tokens <= limit, p.id
        if p.answer_type == "choice":
            assert p.answer["normalizer"] in NORMALIZERS


def test_list_shows_families_counts_and_hash():
    text = list_command(None)
    suite = load_suite()
    assert suite.sha256 in text
    for family, n in suite.families().items():
        assert any(line.split()[:2] == [family, str(n)] for line in text.splitlines())
    assert f"total: {len(suite.probes)} probes in {len(suite.families())} families" in text


def test_instructions_suite_is_valid_opt_in_and_clustered_by_topic():
    """The general-instruction suite loads on its own, stays out of the default suite, and
    has topic families of several probes each (the clustered test counts a family once)."""
    folder = DEFAULT_SUITE / "instructions"
    code, text = validate_command(str(folder))
    assert code == 0, text
    suite = load_suite(str(folder))
    assert suite.id == "fingerprint-instructions"
    assert len(suite.families()) >= 10 and min(suite.families().values()) >= 2
    assert all(f.startswith("instructions-") for f in suite.families())
    assert all(p.answer_type == "free_text" for p in suite.probes)
    assert not {p.id for p in suite.probes} & {p.id for p in load_suite().probes}
    prompts = [p.messages[-1]["content"].casefold() for p in suite.probes]
    assert len(set(prompts)) == len(prompts)


def test_canary_template_is_valid_on_its_own():
    code, text = validate_command(str(DEFAULT_SUITE / "templates" / "canary.yaml"))
    assert code == 0, text
    suite = load_suite(DEFAULT_SUITE / "templates" / "canary.yaml")
    assert set(suite.families()) == {"canary"}
    assert all(p.answer["type"] == "canary" for p in suite.probes)


def test_one_character_changes_the_hash(tmp_path):
    copy = tmp_path / "probes"
    shutil.copytree(DEFAULT_SUITE, copy)
    before = load_suite(copy).sha256
    assert before == load_suite().sha256  # the hash does not depend on where the suite lives
    f = copy / "random_choice.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("Reply with the number only.", "Reply with the number only!", 1),
                 encoding="utf-8")
    assert load_suite(copy).sha256 != before


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_suite_one_line_per_problem(tmp_path):
    bad = tmp_path / "bad"
    _write(bad, "a.yaml", GOOD)
    _write(bad, "b.yaml", GOOD.replace("    messages:\n      - {role: user, content: \"Pick a number.\"}\n",
                                       "").replace("p-one", "p-two") + GOOD.split("probes:\n")[1])
    _write(bad, "c.yaml", "probes:\n  - id: [unclosed\n")
    code, text = validate_command(str(bad))
    assert code == 1
    lines = text.splitlines()
    assert "Traceback" not in text
    missing = [ln for ln in lines if "'p-two'" in ln and "messages" in ln]
    dup = [ln for ln in lines if "'p-one'" in ln and "duplicate id" in ln]
    syntax = [ln for ln in lines if "c.yaml" in ln and "not valid YAML" in ln]
    assert len(missing) == 1 and "b.yaml:2:" in missing[0]
    assert len(dup) == 1 and "b.yaml:" in dup[0] and "a.yaml:2" in dup[0]
    assert len(syntax) == 1 and re.search(r"c\.yaml:\d+: ", syntax[0])
    assert lines[-1].startswith("3 problem(s)")


@pytest.mark.parametrize("edit, needle", [
    (("max_tokens: 8", "max_tokens: 0"), "'max_tokens' must be an integer"),
    (("max_tokens: 8", "max_tokens: 8\n    temperature: 3"), "'temperature' must be a number"),
    (("max_tokens: 8", "max_tokens: 8\n    top_p: 0"), "'top_p'"),
    (("max_tokens: 8", "max_tokens: 8\n    samples: -2"), "'samples'"),
    (("max_tokens: 8", "max_tokens: 8\n    colour: red"), "unknown field(s) colour"),
    (("normalizer: number", "normalizer: numbr"), "answer.normalizer"),
    (("{type: choice, normalizer: number}", "{type: canary}"), "answer.expected"),
    (("content: \"Pick a number.\"", "content: \"\""), "non-empty content"),
    (("role: user", "role: assistant"), "last message must be a user message"),
    (("version: 1", "version: one"), "'version' must be a positive integer"),
])
def test_each_bad_value_is_named(tmp_path, edit, needle):
    path = _write(tmp_path, "s.yaml", GOOD.replace(*edit))
    code, text = validate_command(str(path))
    assert code == 1
    assert needle in text and f"{path}:2: probe 'p-one'" in text, text


def test_missing_suite_is_one_line(tmp_path):
    code, text = validate_command(str(tmp_path / "nope"))
    assert code == 2 and len(text.splitlines()) == 1 and "does not exist" in text
    with pytest.raises(SuiteError):
        list_command(str(tmp_path / "nope"))


def test_excluded_folder_is_skipped(tmp_path):
    _write(tmp_path, "suite.yaml", 'suite: {id: s, version: "2", exclude: ["drafts/*"]}\n')
    _write(tmp_path, "a.yaml", GOOD)
    _write(tmp_path / "drafts", "broken.yaml", "probes: [oops\n")
    suite = load_suite(tmp_path)
    assert (suite.id, suite.version, len(suite.probes)) == ("s", "2", 1)


ROWS = [
    {"id": "q1", "prompt": "Pick a random colour.", "family": "random_choice",
     "answer": json.dumps({"type": "choice", "normalizer": "color"}), "extra": "ignored"},
    {"id": "q2", "prompt": "Who are you?", "system": "Be brief.", "answer": "identity",
     "max_tokens": 32},
    {"id": "q3", "messages": [{"role": "user", "content": "Tell me a joke."}]},
]


def _check_rows(suite):
    by_id = {p.id: p for p in suite.probes}
    assert set(by_id) == {"q1", "q2", "q3"}
    assert by_id["q1"].answer == {"type": "choice", "normalizer": "color"}
    assert by_id["q1"].family == "random_choice" and by_id["q3"].family == "external"
    assert by_id["q2"].messages[0] == {"role": "system", "content": "Be brief."}
    assert by_id["q2"].max_tokens == 32 and by_id["q2"].answer_type == "identity"
    assert by_id["q3"].messages[-1]["content"] == "Tell me a joke."


def test_jsonl_suite(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    _check_rows(load_suite(path))
    path.write_text(json.dumps(ROWS[0]) + "\n{not json\n" + json.dumps({"id": "x"}) + "\n",
                    encoding="utf-8")
    code, text = validate_command(str(path))
    assert code == 1 and "mine.jsonl:2:" in text and "mine.jsonl:3: probe 'x'" in text


def test_dataset_suites_saved_parquet_and_hub(tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    rows = [dict(r, messages=json.dumps(r["messages"]) if "messages" in r else None) for r in ROWS]
    table = {k: [r.get(k) for r in rows] for k in sorted({k for r in rows for k in r})}
    table["max_tokens"] = [r.get("max_tokens") for r in rows]
    ds = datasets.Dataset.from_dict(table)
    ds.save_to_disk(str(tmp_path / "saved"))
    _check_rows(load_suite(tmp_path / "saved"))
    ds.to_parquet(str(tmp_path / "s.parquet"))
    _check_rows(load_suite(tmp_path / "s.parquet"))
    datasets.DatasetDict({"train": ds}).save_to_disk(str(tmp_path / "dd"))
    _check_rows(load_suite(tmp_path / "dd"))

    calls = []

    def fake_load_dataset(name, split=None):
        calls.append((name, split))
        return datasets.DatasetDict({"test": ds})

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    suite = load_suite("hf:org/probes@test")
    _check_rows(suite)
    assert calls == [("org/probes", "test")] and suite.source == "hf:org/probes@test"


def test_hub_failure_is_one_line(monkeypatch):
    datasets = pytest.importorskip("datasets")

    def boom(name, split=None):
        raise ConnectionError("no network\nsecond line")

    monkeypatch.setattr(datasets, "load_dataset", boom)
    with pytest.raises(SuiteError) as err:
        load_suite("hf:org/missing")
    assert "\n" not in str(err.value) and "org/missing" in str(err.value)
    with pytest.raises(SuiteError):
        load_suite("hf:")
