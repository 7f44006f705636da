"""Write a run's human-readable report files (report.md, report.html, plots) from report.json."""

from __future__ import annotations

from pathlib import Path

from ..run import Report
from .plots import plot_pngs, write_plots
from .render_html import html_from_pngs, render_html, render_pdf
from .render_md import render_markdown

__all__ = ["render_html", "render_markdown", "render_pdf", "write_report_files"]


def write_report_files(report: Report, run_dir: Path) -> list[str]:
    """Write plots, report.md and report.html under ``run_dir``; returns relative paths written.

    Pure function of ``report``: re-running it on the same report.json rewrites the same
    bytes, so a manifest over these files stays valid.  Calls no model and no network.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    pngs = plot_pngs(report)
    written = write_plots(pngs, run_dir)
    (run_dir / "report.md").write_text(render_markdown(report, run_dir), encoding="utf-8", newline="\n")
    (run_dir / "report.html").write_text(html_from_pngs(report, pngs), encoding="utf-8", newline="\n")
    return written + ["report.md", "report.html"]
