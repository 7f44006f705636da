import hashlib

from fingerprint.run import check_manifest, write_manifest


def test_manifest_hashes_every_file_and_catches_one_byte(tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "a.json").write_bytes(b'{"x": 1}\n')
    (tmp_path / "plots" / "p.png").write_bytes(b"\x89PNG....")
    write_manifest(tmp_path)
    import json
    files = json.loads((tmp_path / "manifest.json").read_text())["files"]
    assert files == {"a.json": hashlib.sha256(b'{"x": 1}\n').hexdigest(),
                     "plots/p.png": hashlib.sha256(b"\x89PNG....").hexdigest()}
    assert check_manifest(tmp_path) == []
    (tmp_path / "a.json").write_bytes(b'{"x": 2}\n')
    (tmp_path / "extra.txt").write_text("added later")
    (tmp_path / "plots" / "p.png").unlink()
    problems = check_manifest(tmp_path)
    assert any(p.startswith("a.json:") and "does not match" in p for p in problems)
    assert any(p.startswith("extra.txt:") and "not listed" in p for p in problems)
    assert any(p.startswith("plots/p.png:") and "missing" in p for p in problems)
