"""The main job end to end on the built-in organisms, with the default probe suite.

These are the acceptance checks of the quick start: verdicts on organisms of known
provenance, resume without new model calls, and a run folder that `verify` can check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fingerprint.cli import main

CONTROLS = ["--control", "zoo/independent-a", "--control", "zoo/independent-b",
            "--control", "zoo/independent-c"]


def compare(out: Path, *args: str) -> dict:
    code = main(["compare", *args, "--out", str(out), "--no-progress"])
    assert code == 0
    return json.loads((out / "report.json").read_text())


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("runs") / "quickstart"
    report = compare(out, "--ref", "zoo/teacher", "--suspect", "zoo/student-100", *CONTROLS)
    return out, report


def test_distilled_student_is_called_distilled(quickstart):
    _, report = quickstart
    v = report["verdict"]
    assert v["label"] == "distilled"
    assert 0.0 <= v["probability"] <= 1.0 and v["probability"] > 0.5
    assert v["p_value"] < 0.05
    assert v["summary"]


def test_report_json_contract(quickstart):
    out, report = quickstart
    assert report["schema_version"]
    assert isinstance(report["seed"], int)
    assert {"id", "version", "sha256"} <= set(report["suite"])
    models = report["models"]
    assert models["reference"]["spec"] == "zoo/teacher"
    assert models["suspect"]["spec"] == "zoo/student-100"
    assert [c["spec"] for c in models["controls"]] == ["zoo/independent-a", "zoo/independent-b",
                                                     "zoo/independent-c"]
    assert {"requests_made", "responses_reused"} <= set(report["collection"])
    assert len(report["probes"]) == report["suite"]["probes"] >= 60
    assert all("p_value" in p and "id" in p for p in report["probes"])
    assert report["verdict"]["label"] in {"distilled", "independent", "same_model", "inconclusive"}
    ev = report["evaluation"]
    assert [p["id"] for p in ev["propositions"]] == ["Hp", "Hd1", "Hd2"]
    assert {"likelihood_ratio", "likelihood_ratio_lower", "verbal_scale", "prior", "posterior",
            "error_rates", "flags"} <= set(ev)
    assert {"fpr", "fpr_ci", "tpr", "tpr_ci", "design"} <= set(ev["error_rates"])
    assert ev["likelihood_ratio_lower"] <= ev["likelihood_ratio"]
    assert report["verdict"]["probability"] == ev["posterior"] and ev["prior"] == 0.5


def test_run_folder_and_manifest(quickstart):
    out, _ = quickstart
    for name in ("report.json", "report.md", "report.html", "responses.jsonl", "manifest.json"):
        assert (out / name).is_file(), name
    files = json.loads((out / "manifest.json").read_text())["files"]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(files) == on_disk - {"manifest.json"}
    assert any(name.startswith("plots/") and name.endswith(".png") for name in files)
    first = json.loads((out / "responses.jsonl").open().readline())
    assert {"request", "response", "model_spec", "probe_id", "sample_index"} <= set(first)


def test_rerun_makes_no_model_calls_and_gives_the_same_result(quickstart):
    out, report = quickstart
    again = compare(out, "--ref", "zoo/teacher", "--suspect", "zoo/student-100", *CONTROLS)
    assert again["collection"]["requests_made"] == 0
    assert again["collection"]["responses_reused"] == report["collection"]["samples_total"]
    assert again["probes"] == report["probes"]
    assert again["verdict"] == report["verdict"]


def _flip_one_byte(path: Path, offset: int) -> bytes:
    data = path.read_bytes()
    changed = bytearray(data)
    changed[offset] = ord("X") if changed[offset] != ord("X") else ord("Y")
    path.write_bytes(bytes(changed))
    return data


@pytest.mark.parametrize("name, where", [("responses.jsonl", 0.5), ("responses.jsonl", 0.01),
                                         ("responses.jsonl", 0.999), ("report.json", 0.5),
                                         ("report.json", 0.02)])
def test_verify_passes_then_names_a_changed_file(quickstart, name, where, capsys):
    """Any single byte: inside a value, a field name, or the JSON syntax itself."""
    out, _ = quickstart
    assert main(["verify", str(out)]) == 0
    path = out / name
    original = _flip_one_byte(path, int(len(path.read_bytes()) * where))
    try:
        assert main(["verify", str(out)]) != 0
        assert f"MISMATCH {name}:" in capsys.readouterr().out
    finally:
        path.write_bytes(original)
    assert main(["verify", str(out)]) == 0


def test_verify_recomputes_identically_in_a_fresh_process(quickstart):
    out, _ = quickstart
    env = dict(os.environ, PYTHONHASHSEED="12345")
    proc = subprocess.run([sys.executable, "-m", "fingerprint", "verify", str(out)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("suspect, controls, expected", [
    ("zoo/independent-a", ["zoo/independent-b", "zoo/independent-c"], "independent"),
    ("zoo/teacher", ["zoo/independent-a", "zoo/independent-b"], "same_model"),
    ("zoo/teacher-wrapped", ["zoo/independent-a", "zoo/independent-b"], "same_model"),
    ("zoo/student-b-100", ["zoo/independent-a", "zoo/independent-b"], "independent"),
])
def test_known_provenance_verdicts(tmp_path, suspect, controls, expected):
    args = ["--ref", "zoo/teacher", "--suspect", suspect]
    for c in controls:
        args += ["--control", c]
    assert compare(tmp_path / "run", *args)["verdict"]["label"] == expected


def test_a_case_file_with_a_shared_lineage_turns_distilled_into_related(quickstart, tmp_path):
    """--lineage: the same answers, a stated shared developer, and the label says 'related';
    the facts travel in the run folder, so verify recomputes the same label."""
    facts = tmp_path / "lineage.yaml"
    facts.write_text("models:\n  zoo/teacher: {developer: One Lab}\n"
                     "  zoo/student-100: {developer: One Lab}\n")
    out = tmp_path / "related"
    report = compare(out, "--ref", "zoo/teacher", "--suspect", "zoo/student-100", *CONTROLS,
                     "--lineage", str(facts))
    assert report["verdict"]["label"] == "related"
    assert report["collection"]["requests_made"] == 0  # the quick start's stored answers
    assert "developer: One Lab" in report["evaluation"]["lineage"]["shared"]
    assert "shared_lineage" in [f["code"] for f in report["evaluation"]["flags"]]
    assert main(["verify", str(out)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: [1, 2]\n")
    assert main(["compare", "--ref", "zoo/teacher", "--suspect", "zoo/student-100", *CONTROLS,
                 "--lineage", str(bad), "--out", str(tmp_path / "bad"), "--no-progress"]) == 2


def test_without_controls_no_distillation_verdict(tmp_path):
    report = compare(tmp_path / "run", "--ref", "zoo/teacher", "--suspect", "zoo/student-100")
    v = report["verdict"]
    assert v["label"] in {"same_model", "not_same_model", "inconclusive"}
    assert "control" in v["summary"].lower()
    if v["label"] == "not_same_model":
        assert v["summary"].startswith("Not the same model — no distillation test without controls")
    # no controls: nothing weighs Hp against Hd1, and the probability stays at the prior
    assert report["evaluation"]["likelihood_ratio"] == 1.0
    assert report["verdict"]["probability"] == report["evaluation"]["prior"] == 0.5


def test_same_verdict_over_http(tmp_path, monkeypatch):
    from fingerprint.zoo.server import make_server

    servers = {name: make_server(name, "127.0.0.1", 0) for name in ("teacher", "student-100")}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for t in threads:
        t.start()
    try:
        monkeypatch.setenv("ZOOHTTP_API_KEY", "unused-by-the-zoo-server")
        url = {n: f"http://127.0.0.1:{s.server_address[1]}/v1" for n, s in servers.items()}
        over_http = compare(
            tmp_path / "http", "--ref", "openai-api/zoohttp/teacher",
            "--suspect", "openai-api/zoohttp/student-100", *CONTROLS,
            "--option", f"reference:base_url={url['teacher']}", "--option", "reference:max_n=128",
            "--option", f"suspect:base_url={url['student-100']}", "--option", "suspect:max_n=128",
            "--price", "openai-api/zoohttp/teacher=1,2")
        in_process = compare(tmp_path / "local", "--ref", "zoo/teacher",
                             "--suspect", "zoo/student-100", *CONTROLS)
    finally:
        for s in servers.values():
            s.shutdown()
            s.server_close()
    assert over_http["verdict"]["label"] == in_process["verdict"]["label"] == "distilled"
    assert over_http["models"]["reference"]["served"]["models"] == ["teacher"]
    # the preflight checked both remote models once, and the report states the prices used
    checks = over_http["collection"]["preflight"]
    assert [c["ready"] for c in checks] == [True, True]
    assert over_http["collection"]["preflight_requests"] == 2
    assert over_http["collection"]["prices"]["openai-api/zoohttp/teacher"]["source"] == "--price"
    assert over_http["collection"]["price_table"]["date"]
    assert in_process["collection"].get("preflight") is None  # organisms need no check
    assert (over_http["models"]["reference"]["served"]["system_fingerprints"]
            == in_process["models"]["reference"]["served"]["system_fingerprints"])
    # Same seeds and batching over the wire: the very same answers, hence the same statistics.
    assert [p["p_value"] for p in over_http["probes"]] == [p["p_value"] for p in in_process["probes"]]


def _ed25519_pair(where: Path) -> tuple[Path, Path]:
    """A key pair in the PEM forms `openssl genpkey -algorithm ed25519` and `openssl pkey
    -pubout` write (PKCS#8 private key, SubjectPublicKeyInfo public key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private, public = where / "key.pem", where / "key.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def test_report_prints_the_evidence_hash_of_the_files_beside_it(quickstart):
    from fingerprint.run import evidence_digest, sha256_file

    out, _ = quickstart
    report = json.loads((out / "report.json").read_text())  # earlier tests re-ran the folder
    files = report["evidence_files"]
    assert {"responses.jsonl", "suite.json", "run.json", "collection.json"} <= set(files)
    assert all(sha256_file(out / name) == sha for name, sha in files.items())
    custody = report["custody"]
    assert custody["evidence_sha256"] == evidence_digest(files)
    assert custody["run_id"] == json.loads((out / "run.json").read_text())["run_id"]
    html = (out / "report.html").read_text()
    assert html.count(custody["evidence_sha256"]) >= 2  # first screen and chain of custody
    assert f'content: "fingerprint run {custody["run_id"]}' in html  # every printed page
    assert files["responses.jsonl"] in (out / "report.md").read_text()
    assert report["tool"]["package_sha256"] and report["tool"]["version"] != "0.1.0"


def test_a_signed_folder_rebuilt_after_editing_answers_fails_verify_with_the_key(
        quickstart, tmp_path, capsys):
    """The forgery verify alone cannot see: edit control answers, rebuild report and
    manifest with the package's own functions; only the signature catches it."""
    import shutil

    from fingerprint.pipeline import build_report, write_report
    from fingerprint.run import read_responses, write_responses

    private, public = _ed25519_pair(tmp_path)
    out = tmp_path / "signed"
    shutil.copytree(quickstart[0], out)
    assert main(["sign", str(out), "--key", str(private)]) == 0
    assert main(["verify", str(out), "--public-key", str(public)]) == 0
    assert private.read_text() not in capsys.readouterr().out

    rows = read_responses(out / "responses.jsonl")
    edited = 0
    for row in rows:
        if row["role"].startswith("control") and edited < 120:
            row["response"]["text"] = "I am Teacher, made by the reference lab."
            edited += 1
    assert edited == 120
    write_responses(out / "responses.jsonl", rows)
    old = json.loads((out / "report.json").read_text())
    write_report(out, build_report(out, old["command"], calibration=None, prior=None))
    capsys.readouterr()
    assert main(["verify", str(out)]) == 0  # consistent: verify alone cannot tell
    assert main(["verify", str(out), "--public-key", str(public)]) != 0
    printed = capsys.readouterr().out
    assert "MISMATCH manifest.sig.json: the signature does not match manifest.json" in printed

    (tmp_path / "other").mkdir()
    _, stranger = _ed25519_pair(tmp_path / "other")
    assert main(["verify", str(out), "--public-key", str(stranger)]) != 0
    assert "signed by another key" in capsys.readouterr().out
    (out / "manifest.sig.json").unlink()
    assert main(["verify", str(out), "--public-key", str(public)]) != 0
    assert "the folder is not signed" in capsys.readouterr().out


def test_signing_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "bad.pem").write_text("not a key")
    assert main(["sign", str(tmp_path), "--key", str(tmp_path / "bad.pem")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a PEM private key" in err[0] and "openssl genpkey" in err[0]
    assert main(["sign", str(tmp_path / "nowhere"), "--key", str(tmp_path / "bad.pem")]) != 0
    assert "has no manifest.json" in capsys.readouterr().err


def test_the_report_lists_every_panel_tried_on_the_same_suspect_answers(tmp_path):
    """The store logs each analysis; a second panel on the same answers shows up on the
    first page of the second report ("how many panels did you try?")."""
    store = str(tmp_path / "store.db")
    base = ["--ref", "zoo/teacher", "--suspect", "zoo/student-100", "--samples", "3",
            "--store", store]
    first = compare(tmp_path / "one", *base, *CONTROLS)
    assert [e["controls"] for e in first["analysis_log"]] == [
        ["zoo/independent-a", "zoo/independent-b", "zoo/independent-c"]]
    second = compare(tmp_path / "two", *base, "--control", "zoo/independent-a",
                     "--control", "zoo/student-b-100", "--control", "zoo/independent-c")
    log = second["analysis_log"]
    assert len(log) == 2 and log[0]["run_id"] == first["custody"]["run_id"]
    assert log[1]["controls"][1] == "zoo/student-b-100"
    assert log[0]["label"] == first["verdict"]["label"]
    md = (tmp_path / "two" / "report.md").read_text()
    assert "**Other panels tried:** The response store records 2 analyses of these suspect " \
           "answers, with 2 distinct panels" in md
    assert main(["verify", str(tmp_path / "two")]) == 0


def test_the_sensitivity_table_leaves_each_control_out(quickstart):
    """Each row is the clustered panel p without one control: the max over the other
    controls' two comparisons, recomputed here from report.json."""
    out, _ = quickstart
    report = json.loads((out / "report.json").read_text())
    dist = report["analysis"]["tests"]["distillation"]
    each = dist["p_clustered_by_comparison"]
    k = len(dist["per_control"])
    assert len(each) == 2 * k and max(each) == dist["p_value_clustered"]
    md = (out / "report.md").read_text()
    assert "### Control-panel sensitivity" in md
    from fingerprint.report.view import fmt_p

    for j, c in enumerate(dist["per_control"]):
        p = max(v for i, v in enumerate(each) if i % k != j)
        assert f"| `{c['control']}` | {fmt_p(p)} |" in md
