"""Command-line interface: one module per command; this entry point only registers them.

Every command module has ``register(subparsers)``, which adds its parser and sets its
``handler(args, argv) -> exit code``.  A :class:`~fingerprint.errors.FingerprintError` ends
as one line on stderr and its exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .._version import __version__
from ..errors import FingerprintError
from . import benchmark, calibrate, collect, compare, probes, report, serve, sign, verify, zoo

__all__ = ["build_parser", "main"]

COMMANDS = (compare, collect, verify, sign, report, probes, serve, zoo, benchmark, calibrate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fingerprint",
        description="Was SUSPECT trained on the outputs of REFERENCE? Black-box evidence.")
    parser.add_argument("--version", action="version", version=f"fingerprint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return args.handler(args, argv)
    except FingerprintError as exc:
        print(f"fingerprint: error: {exc}", file=sys.stderr)
        for line in getattr(exc, "problems", None) or []:
            print(f"  {line}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `fingerprint probes list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("fingerprint: interrupted; every sample received so far is stored — run the same "
              "command again to resume", file=sys.stderr)
        return 130
