"""report.html: one self-contained file (inline CSS, plots as data: URIs), and its PDF.

Nothing in the page is fetched from anywhere: styles are inlined, plots are embedded as
base64 PNGs, there is no script, and a Content-Security-Policy forbids loading anything
but ``data:`` images.  Every value goes through jinja2 autoescape after control
characters are made visible (see :mod:`fingerprint.report.escape`).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ..run import Report
from .escape import visible
from .plots import plot_pngs
from .view import build_view

TEMPLATES = Path(__file__).parent / "templates"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars", "--mute-audio"]


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    return "" if value is None else visible(value)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              finalize=_finalize, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def html_from_pngs(report: Report, pngs: dict[str, bytes]) -> str:
    """The page for ``report`` with the already drawn plots ``{relative path: PNG bytes}``."""
    view = build_view(report)
    images = {p.path: data_uri(pngs[p.path]) for p in view["plots"] if p.path in pngs}
    view["plots"] = [p for p in view["plots"] if p.path in images]
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return _environment().get_template("report.html.j2").render(v=view, css=Markup(css), images=images)


def render_html(report: Report, run_dir: Path) -> str:
    """The self-contained report.html text for ``report`` (plots drawn in memory)."""
    del run_dir  # everything comes from report; the argument keeps the renderers' API uniform
    return html_from_pngs(report, plot_pngs(report))


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary: ``$CHROMIUM`` if set, else the first on PATH."""
    env = os.environ.get("CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(args: list[str], timeout: float = 120.0) -> subprocess.CompletedProcess[bytes]:
    """Run headless Chromium with isolating flags and a throw-away profile."""
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("no chromium binary on PATH (install Debian's 'chromium' package)")
    with tempfile.TemporaryDirectory(prefix="fingerprint-chromium-") as profile:
        cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              check=False)


def render_pdf(run_dir: Path) -> Path | None:
    """Print ``run_dir/report.html`` to ``run_dir/report.pdf`` with Chromium; None without it.

    Returns None too when Chromium runs but writes no PDF (the page stays the evidence;
    the PDF is a convenience copy of it).
    """
    if find_chromium() is None:
        return None
    html = (Path(run_dir) / "report.html").resolve()
    pdf = html.with_name("report.pdf")
    if pdf.exists():
        pdf.unlink()
    run_chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()])
    return pdf if pdf.is_file() and pdf.stat().st_size > 0 else None
