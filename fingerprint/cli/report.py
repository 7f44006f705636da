"""``fingerprint report DIR``: re-render report.md, report.html and the plots from report.json."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="re-render report.md/html/plots from report.json")
    p.add_argument("dir", type=Path)
    p.add_argument("--pdf", action="store_true",
                   help="also print report.pdf with headless Chromium (when installed)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ..pipeline import load_report, write_report

    write_report(args.dir, load_report(args.dir), pdf=args.pdf)
    pdf = " and report.pdf" if (args.dir / "report.pdf").is_file() and args.pdf else ""
    print(f"re-rendered {args.dir / 'report.html'}, report.md{pdf}; manifest updated")
    return 0
