"""Rendering: report.json ─► report.md, report.html (one self-contained file), plots and,
with headless Chromium, report.pdf.  It reads, never recomputes; model output is untrusted
text and is escaped on every output.  See docs/report.md."""

from .render import render_html, render_markdown, render_pdf, write_report_files

__all__ = ["render_html", "render_markdown", "render_pdf", "write_report_files"]
