"""Signing a run folder: an Ed25519 signature over ``manifest.json``.

``verify`` alone proves that a folder is consistent (every file matches the manifest, the
verdict recomputes), not who made it: anyone can edit the responses and rebuild report and
manifest with this package.  A signature made when the run ended, with a key only its
author holds, closes that gap: after any rebuild the manifest's bytes change and the
signature no longer verifies against the author's public key.

Keys are PEM files as OpenSSL writes them (``openssl genpkey -algorithm ed25519 -out
key.pem``; ``openssl pkey -in key.pem -pubout -out key.pub.pem``).  The private key never
leaves the file it is read from: it is not copied, logged or named in an error.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import SignatureError
from ._folder import read_json, write_json
from ._manifest import MANIFEST_FILE, SIGNATURE_FILE

ALGORITHM = "ed25519"


def _read_pem(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read the {what} file {path} ({exc.strerror or exc}); "
                             "give a PEM file written by `openssl genpkey -algorithm ed25519`") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    data = _read_pem(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise SignatureError(f"{path} is encrypted; give an unencrypted Ed25519 key "
                             "(`openssl pkey -in KEY -out PLAIN`)") from None
    except ValueError:
        raise SignatureError(f"{path} is not a PEM private key; write one with "
                             "`openssl genpkey -algorithm ed25519 -out key.pem`") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"{path} is not an Ed25519 key; write one with "
                             "`openssl genpkey -algorithm ed25519 -out key.pem`")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read_pem(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise SignatureError(f"{path} is not a PEM public key; derive it with "
                             "`openssl pkey -in key.pem -pubout -out key.pub.pem`") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError(f"{path} is not an Ed25519 public key")
    return key


def public_key_fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key: names the key without revealing anything."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign_run(run_dir: Path, key_path: Path) -> dict[str, Any]:
    """Sign ``run_dir/manifest.json`` with the key in ``key_path``; write and return the record."""
    manifest = run_dir / MANIFEST_FILE
    if not manifest.is_file():
        raise SignatureError(f"{run_dir} has no {MANIFEST_FILE}; sign the --out folder of a "
                             "finished `fingerprint compare` run")
    key = load_private_key(key_path)
    data = manifest.read_bytes()
    record = {"algorithm": ALGORITHM, "signed_file": MANIFEST_FILE,
              "signed_sha256": hashlib.sha256(data).hexdigest(),
              "public_key_sha256": public_key_fingerprint(key.public_key()),
              "signed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "signature": base64.b64encode(key.sign(data)).decode("ascii")}
    write_json(run_dir / SIGNATURE_FILE, record)
    return record


def check_signature(run_dir: Path, public_key_path: Path) -> list[str]:
    """One line per problem with the folder's signature under this public key."""
    key = load_public_key(public_key_path)
    path = run_dir / SIGNATURE_FILE
    if not path.is_file():
        return [f"{SIGNATURE_FILE}: missing — the folder is not signed (sign it with "
                "`fingerprint sign DIR --key KEY`)"]
    try:
        record = read_json(path)
        signature = base64.b64decode(record["signature"], validate=True)
        if record.get("algorithm") != ALGORITHM:
            return [f"{SIGNATURE_FILE}: algorithm {record.get('algorithm')!r} is not {ALGORITHM}"]
    except Exception:  # noqa: BLE001 — any damage to the record is the same finding
        return [f"{SIGNATURE_FILE}: unreadable signature record"]
    if record.get("public_key_sha256") != public_key_fingerprint(key):
        return [f"{SIGNATURE_FILE}: signed by another key (public key SHA-256 "
                f"{str(record.get('public_key_sha256'))[:16]}…, not the one given)"]
    manifest = run_dir / MANIFEST_FILE
    data = manifest.read_bytes() if manifest.is_file() else b""
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return [f"{SIGNATURE_FILE}: the signature does not match {MANIFEST_FILE} (the folder "
                "was changed or rebuilt after it was signed)"]
    return []
