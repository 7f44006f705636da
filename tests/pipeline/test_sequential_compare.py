"""``compare --sequential`` end to end on the organisms: it stops early with the fixed run's
label, records its rounds, resumes without a model call, and ``verify`` recomputes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fingerprint.analysis import STOP_REASONS
from fingerprint.cli import main

ARGS = ["--ref", "zoo/teacher", "--suspect", "zoo/student-100", "--control", "zoo/independent-a",
        "--control", "zoo/independent-b", "--control", "zoo/independent-c", "--no-progress"]


def _compare(out: Path, store: Path, *extra: str) -> dict:
    assert main(["compare", *ARGS, "--out", str(out), "--store", str(store), *extra]) == 0
    return json.loads((out / "report.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("sequential")
    seq = _compare(base / "seq", base / "seq.sqlite", "--sequential")
    again = _compare(base / "seq", base / "seq.sqlite", "--sequential")
    fixed = _compare(base / "fixed", base / "fixed.sqlite")
    small = _compare(base / "small", base / "small.sqlite", "--sequential",
                     "--round-samples", "2")
    return {"base": base, "seq": seq, "again": again, "fixed": fixed, "small": small}


def test_stops_early_with_the_fixed_label(runs):
    seq, fixed = runs["seq"], runs["fixed"]
    c = seq["collection"]
    assert c["stopped_because"] in STOP_REASONS and c["stopped_because"] == "decision"
    assert seq["verdict"]["label"] == fixed["verdict"]["label"] == "distilled"
    # the zoo returns every answer of a probe in one request: by default a round asks each
    # probe for all of --samples, and the run makes fewer requests and answers than fixed
    run = json.loads((runs["base"] / "seq" / "run.json").read_text())
    assert run["config"]["sequential"]["samples_per_round"] == run["config"]["samples"]
    assert c["requests_made"] < fixed["collection"]["requests_made"]
    assert c["samples_total"] < fixed["collection"]["samples_total"]
    # rounds of 2 answers (what a provider without n gets) also spend fewer answers
    small = runs["small"]
    assert small["verdict"]["label"] == "distilled"
    assert small["collection"]["samples_total"] < fixed["collection"]["samples_total"]
    assert "Collection stopped after" in c["stop_sentence"]
    assert seq["schema_version"] == "1.3"


def test_rounds_add_up(runs):
    c = runs["seq"]["collection"]
    rounds = c["rounds"]
    assert [r["round"] for r in rounds] == list(range(1, len(rounds) + 1))
    assert sum(r["requests"] for r in rounds) == c["requests_made"]
    assert rounds[-1]["answers_total"] == c["samples_total"] == sum(r["answers"] for r in rounds)
    last = rounds[-1]["evidence"]
    assert last["distillation"] >= 20 and last["equality"] >= 100  # 1/alpha, 1/alpha_equality
    assert (runs["base"] / "seq" / "plots" / "evidence_path.png").is_file()


def test_rerun_makes_no_request_and_reaches_the_same_point(runs):
    seq, again = runs["seq"], runs["again"]
    assert again["collection"]["requests_made"] == 0
    assert again["verdict"] == seq["verdict"]
    strip = [{k: v for k, v in r.items() if not k.startswith("requests")}
             for r in seq["collection"]["rounds"]]
    assert strip == [{k: v for k, v in r.items() if not k.startswith("requests")}
                     for r in again["collection"]["rounds"]]


def test_verify_recomputes_the_rounds(runs, capsys):
    out = runs["base"] / "seq"
    assert main(["verify", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    report["collection"]["rounds"][0]["evidence"]["equality"] *= 2
    (out / "report.json").write_text(json.dumps(report))
    assert main(["verify", str(out)]) != 0
    assert "collection.rounds" in capsys.readouterr().out


def test_a_budget_stops_the_rounds(tmp_path):
    report = _compare(tmp_path / "b", tmp_path / "b.sqlite", "--sequential", "--max-requests", "100")
    c = report["collection"]
    assert c["stopped_because"] == "max_requests"
    assert c["requests_made"] <= 100
    assert report["verdict"]["label"] != "distilled"


def test_round_samples_follow_what_one_request_buys():
    from fingerprint.pipeline._compare import round_samples

    batch, single = type("B", (), {"max_n": 128})(), type("S", (), {"max_n": 1})()
    assert round_samples([batch, batch], 10) == 10
    assert round_samples([batch, single], 10) == 2  # one model answers one at a time
    assert round_samples([batch], 1) == 2  # a round's tests need two answers per model
