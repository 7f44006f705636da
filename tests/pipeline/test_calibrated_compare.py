"""A user calibration file travels with the run: the report names it and its hash, and
`verify` recomputes the same probability from the stored responses and that file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from fingerprint._records import to_json

from fingerprint.calibration import DEFAULT_FEATURES, Case, build_calibration
from fingerprint.pipeline import RunRequest, compare, roles_for
from fingerprint.run import verify


def _user_map(path: Path) -> str:
    rng = np.random.default_rng(0)
    cases = []
    for g in range(10):
        label = int(g < 5)
        for _ in range(6):
            t = rng.normal(4.0 if label else 0.0, 1.5)
            cases.append(Case(pair=f"p{g}", label=label, source="mine",
                              evidence={"distill_t_min": t, "identity_agreement_diff": t / 10,
                                        "choice_agreement_diff": rng.normal(0.1 * label, 0.05)}))
    features = {seg: list(f) for seg, f in DEFAULT_FEATURES.items()}
    path.write_text(json.dumps(build_calibration(cases, features, name="my-lab-pairs",
                                                 version="custom-1"), indent=1))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def calibrated_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calrun")
    sha = _user_map(tmp / "mine.json")
    out = tmp / "run"
    request = RunRequest(models=roles_for("zoo/teacher", "zoo/student-50", ["zoo/independent-a"]),
                         samples=3, seed=0, out=out, store_path=str(tmp / "store.sqlite"),
                         calibration=str(tmp / "mine.json"), prior=0.2, progress=False,
                         command="fingerprint compare ...")
    report = to_json(compare(request))
    return report, out, sha


def test_report_names_the_user_calibration_and_its_hash(calibrated_run):
    report, out, sha = calibrated_run
    cal = report["verdict"]["calibration"]
    assert cal["name"] == "my-lab-pairs" and cal["version"] == "custom-1"
    assert cal["sha256"] == sha  # the copy in the run folder is byte-identical
    assert (out / "calibration.json").read_bytes() == (out.parent / "mine.json").read_bytes()
    v = report["verdict"]
    odds = v["probability"] / (1 - v["probability"])
    assert odds == pytest.approx(v["likelihood_ratio"] * 0.2 / 0.8)
    assert v["prior"] == 0.2


def test_verify_recomputes_the_same_probability(calibrated_run):
    _, out, _ = calibrated_run
    assert verify(out) == []
    report = json.loads((out / "report.json").read_text())
    cal_file = out / "calibration.json"
    cal_file.write_text(cal_file.read_text().replace("my-lab-pairs", "tampered"))
    problems = verify(out)
    assert any("calibration.json" in p for p in problems)  # hash mismatch in the manifest
    assert any("verdict.calibration" in p for p in problems)  # and the recomputed verdict differs
    assert report["verdict"]["calibration"]["name"] == "my-lab-pairs"
