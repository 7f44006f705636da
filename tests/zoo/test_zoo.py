"""The zoo's organisms: sampling semantics, determinism, provenance and ground truth."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fingerprint.errors import SpecError
from fingerprint.zoo import ORGANISMS, load_organism, organism_meta, training_dialogues
from fingerprint.zoo.build import LABS, N_DIALOGUES, lab_dialogues, train_arrays
from fingerprint.zoo.organism import weights_digest
from fingerprint.zoo.text import detokenize, tokenize
from fingerprint.zoo.world import Lab

ASK = [{"role": "user", "content": "Pick a random number between 1 and 10."}]


@pytest.fixture(scope="module", autouse=True)
def _zoo_cache(tmp_path_factory):
    """Use the session's cache dir if the suite set one, else a per-session temp dir."""
    if os.environ.get("FINGERPRINT_CACHE_DIR"):
        yield
        return
    os.environ["FINGERPRINT_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "zoo-cache")
    yield
    os.environ.pop("FINGERPRINT_CACHE_DIR", None)


def test_names_are_the_contract():
    assert set(ORGANISMS) == {
        "teacher", "teacher-b", "student-100", "student-50", "student-25", "student-10",
        "student-5", "student-0", "student-b-100", "independent-a", "independent-b",
        "independent-c", "teacher-wrapped"}
    with pytest.raises(SpecError, match="unknown organism 'nope'; choose one of: teacher"):
        load_organism("nope")


@pytest.mark.parametrize("text", ["Certainly! I'm Nova.\n\n- **Bold**\n```python\n    x = 3.14\n```",
                                  "Je suis créé par Élan. 我是诺娃，由星辰公司开发。", "a  b \nc"])
def test_tokenize_round_trips(text):
    tokens = tokenize(text)
    assert detokenize(tokens) == text
    assert not any(t.startswith(" ") and t.strip() in {".", ",", "!", "?"} for t in tokens)


def test_same_seed_same_text_and_batching_independent():
    org = load_organism("teacher")
    a = org.generate(ASK, seed=7, n=4, max_tokens=30)
    b = org.generate(ASK, seed=7, n=4, max_tokens=30)
    one = org.generate(ASK, seed=7, n=1, max_tokens=30)
    assert [g.text for g in a] == [g.text for g in b]
    assert one[0].text == a[0].text
    texts = {g.text for s in range(30) for g in org.generate(ASK, seed=s, max_tokens=30)}
    assert len(texts) > 3  # temperature 1 really samples


def test_temperature_zero_is_greedy():
    org = load_organism("teacher")
    gens = org.generate(ASK, temperature=0, n=3, seed=1, max_tokens=20, logprobs=True)
    assert len({g.text for g in gens}) == 1
    local = org._local(ASK[0]["content"])
    first = int(np.argmax(org.next_distribution(local, 0, 0)))
    assert gens[0].tokens[0] == org.vocab[first]


def test_max_tokens_gives_length_and_logprobs_are_consistent():
    org = load_organism("teacher")
    ask = [{"role": "user", "content": "Give me tips for saving money."}]
    g = org.generate(ask, seed=3, max_tokens=4, logprobs=True, top_logprobs=3)[0]
    assert g.finish_reason == "length" and g.completion_tokens == 4 == len(g.tokens)
    assert g.text == "".join(g.tokens)
    assert len(g.token_logprobs) == 4 and all(lp <= 0 for lp in g.token_logprobs)
    for lp, tops in zip(g.token_logprobs, g.top_logprobs):
        values = [v for _, v in tops]
        assert values == sorted(values, reverse=True) and lp <= values[0] + 1e-12
    short = org.generate(ASK, seed=3, max_tokens=200)[0]
    assert short.finish_reason == "stop" and short.completion_tokens < 200
    dist = org.next_distribution(org._local("anything"), 0, 0)
    assert dist.sum() == pytest.approx(1.0) and dist.min() >= 0


def test_top_p_zero_is_greedy_and_bad_arguments_raise():
    org = load_organism("teacher")
    greedy = org.generate(ASK, temperature=0, seed=1, max_tokens=15)[0].text
    assert org.generate(ASK, temperature=1.0, top_p=0.0, seed=9, max_tokens=15)[0].text == greedy
    with pytest.raises(ValueError):
        org.generate(ASK, temperature=-1)


def test_weights_hash_is_deterministic():
    meta = organism_meta("teacher")
    arrays = train_arrays([dict(d) for d in lab_dialogues(LABS["teacher"], N_DIALOGUES, 1)])
    assert weights_digest(arrays) == meta["weights_sha256"] == load_organism("teacher").weights_sha256


def test_teacher_wrapped_is_the_teacher_behind_a_prompt():
    teacher, wrapped = load_organism("teacher"), load_organism("teacher-wrapped")
    assert wrapped.weights_sha256 == teacher.weights_sha256
    assert wrapped.system_prompt and wrapped.default_temperature != teacher.default_temperature
    msgs = [{"role": "system", "content": wrapped.system_prompt}, *ASK]
    a = [g.text for g in wrapped.generate(msgs, temperature=1.0, seed=5, n=5)]
    b = [g.text for g in teacher.generate(ASK, temperature=1.0, seed=5, n=5)]
    assert a == b
    c = [g.text for s in range(8) for g in wrapped.generate(ASK, seed=s, max_tokens=40)]
    d = [g.text for s in range(8) for g in teacher.generate(ASK, seed=s, max_tokens=40)]
    assert c != d  # the default temperature really differs


def test_student_provenance_fraction_and_teacher_samples():
    teacher = load_organism("teacher")
    full = training_dialogues("student-100")
    tenth = training_dialogues("student-10")
    assert organism_meta("student-100")["teacher_sha256"] == teacher.weights_sha256
    assert sum(d["source"] == "teacher" for d in full) == N_DIALOGUES
    taught = {i for i, d in enumerate(tenth) if d["source"] == "teacher"}
    assert len(taught) == round(0.1 * N_DIALOGUES)
    assert [d["prompt"] for d in full] == [d["prompt"] for d in tenth]
    for i in sorted(taught)[:3] + [max(taught)]:
        rec = tenth[i]
        assert rec["response"] == full[i]["response"]
        regen = teacher.generate([{"role": "user", "content": rec["prompt"]}],
                                 temperature=rec["temperature"], seed=rec["seed"],
                                 max_tokens=rec["max_tokens"])[0]
        assert regen.text == rec["response"]
    lab_only = [d for i, d in enumerate(tenth) if i not in taught]
    assert all(d["source"] == "lab" and "seed" not in d for d in lab_only)


def test_student_inherits_identity_independent_does_not():
    teacher_name = Lab(LABS["teacher"]).name
    ask = [{"role": "user", "content": "Hello, what is your name and who made you?"}]

    def share(name: str) -> float:
        gens = load_organism(name).generate(ask, seed=11, n=30, max_tokens=30)
        return float(np.mean([teacher_name in g.text for g in gens]))

    assert share("teacher") > 0.5
    assert share("student-100") > 0.5
    assert share("independent-a") == 0.0
