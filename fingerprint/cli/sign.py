"""``fingerprint sign DIR --key KEY``: sign a run folder's manifest with an Ed25519 key."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sign", help="sign a run folder's manifest (Ed25519), so a rebuilt "
                                    "folder fails `verify --public-key`",
                       description="Sign DIR/manifest.json with an Ed25519 private key (PEM, "
                                   "as `openssl genpkey -algorithm ed25519 -out key.pem` writes "
                                   "it). The signature goes to DIR/manifest.sig.json; share the "
                                   "public key (`openssl pkey -in key.pem -pubout -out "
                                   "key.pub.pem`) with whoever checks the run.")
    p.add_argument("dir", type=Path, help="the --out folder of a finished run")
    p.add_argument("--key", type=Path, required=True, metavar="KEY",
                   help="Ed25519 private key, unencrypted PEM (never copied or logged)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ..run import SIGNATURE_FILE, sign_run

    record = sign_run(args.dir, args.key)
    print(f"signed {args.dir / record['signed_file']} (SHA-256 {record['signed_sha256']}) with "
          f"the key whose public SHA-256 is {record['public_key_sha256']}; signature in "
          f"{args.dir / SIGNATURE_FILE}")
    return 0
