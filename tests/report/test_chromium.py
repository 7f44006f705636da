"""report.html in a real browser: headless Chromium renders it to PNG and PDF, fetches nothing.

Skips when no Chromium binary is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fingerprint.report.render import render_pdf, write_report_files
from fingerprint.report.render_html import find_chromium, run_chromium
from fakes.reports import edited, example_report

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="no chromium binary on PATH (Debian package 'chromium')")

BANNER_RED = (0xA4, 0x16, 0x1A)


def _image(path: Path):  # noqa: ANN202
    Image = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) reads PNGs")
    return Image.open(path).convert("RGB")


def _non_white_share(img) -> float:  # noqa: ANN001
    grey = img.convert("L")
    hist = grey.histogram()
    return 1.0 - sum(hist[245:]) / max(1, sum(hist))


def _screenshot(run_dir: Path, out: Path, height: int = 900) -> Path:
    uri = (run_dir / "report.html").resolve().as_uri()
    run_chromium([f"--window-size=1280,{height}", f"--screenshot={out}", uri])
    assert out.is_file(), "chromium wrote no screenshot"
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("run")
    write_report_files(example_report(), d)
    return d


def test_first_screen_shows_the_styled_verdict_banner(run_dir: Path, tmp_path: Path) -> None:
    img = _image(_screenshot(run_dir, tmp_path / "first.png"))
    assert img.size[0] == 1280
    assert _non_white_share(img) > 0.02, "page rendered blank"
    # The banner's border colour proves the inline stylesheet applied and the verdict is on screen 1.
    raw = img.tobytes()
    near = sum(1 for i in range(0, len(raw), 3)
               if all(abs(raw[i + k] - BANNER_RED[k]) <= 12 for k in range(3)))
    assert near > 2000, f"verdict banner not visible on the first screen ({near} banner pixels)"


def test_print_to_pdf_gives_nonblank_pages(run_dir: Path) -> None:
    pdf = render_pdf(run_dir)
    assert pdf is not None and pdf == run_dir / "report.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 50_000
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3, f"expected a multi-page report, got {pages} page(s)"
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf),
                        str(run_dir / "page")], check=True, capture_output=True)
        first = next(run_dir.glob("page*.png"))
        assert _non_white_share(_image(first)) > 0.02, "first PDF page is blank"


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


def test_browser_fetches_nothing_a_model_wrote(tmp_path: Path) -> None:
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        bait = (f'<img src="{base}/img"><script src="{base}/js"></script>'
                f'<link rel="stylesheet" href="{base}/css"><style>@import url({base}/imp);</style>'
                f"![x]({base}/md.png) <iframe src=\"{base}/frame\"></iframe>")
        def bait_everywhere(r: dict) -> None:
            for ex in r["analysis"]["exhibits"]:
                ex["suspect_answer"] = bait
                ex["prompt"] = bait
            r["models"]["suspect"]["served"]["models"] = [bait]
            r["verdict"]["reasons"] = [bait]

        report = edited(example_report(), bait_everywhere)
        write_report_files(report, tmp_path)
        img = _image(_screenshot(tmp_path, tmp_path / "bait.png", height=2400))
        assert _non_white_share(img) > 0.02
        assert _Counter.hits == [], f"the report made the browser fetch {_Counter.hits}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _pdf_pages_text(pdf: Path) -> list[str]:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian package poppler-utils) reads the PDF's text")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_every_pdf_page_carries_run_id_evidence_hash_and_page_number(run_dir: Path) -> None:
    report = example_report()
    assert report.custody is not None, "the example report predates custody; regenerate it"
    pages = _pdf_pages_text(render_pdf(run_dir))
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page
        assert f"fingerprint run {report.custody.run_id}" in page
        assert report.custody.evidence_sha256[:16] in page
    assert report.custody.evidence_sha256 in pages[0]  # in full on the first page


def _pdf_fonts(pdf: Path) -> list[tuple[str, str]]:
    """(name, type) of every font in the PDF, as pdffonts lists them."""
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (poppler-utils) lists the PDF's fonts")
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    return [(line.split()[0], " ".join(line.split()[1:3])) for line in lines if line.strip()]


def test_a_chinese_answer_prints_with_a_cjk_font(run_dir: Path, tmp_path: Path) -> None:
    """Differential: the same report with a Chinese answer must draw with a font the Latin
    one does not use (Noto CJK, which Chromium embeds as Type 3 glyphs from the .ttc); with
    no CJK font installed the characters would fall back to empty boxes of the Latin fonts."""
    fonts = subprocess.run(["fc-list"], capture_output=True, text=True).stdout \
        if shutil.which("fc-list") else ""
    if "CJK" not in fonts:
        pytest.skip("no CJK font installed (Debian package fonts-noto-cjk)")
    chinese = "我是由参考实验室训练的语言模型。"

    def in_chinese(r: dict) -> None:
        for ex in r["analysis"]["exhibits"]:
            ex["suspect_answer"] = chinese

    write_report_files(edited(example_report(), in_chinese), tmp_path)
    pdf = render_pdf(tmp_path)
    assert pdf is not None
    latin = set(_pdf_fonts(render_pdf(run_dir)))
    added = [f for f in _pdf_fonts(pdf) if f not in latin]
    assert any("CJK" in name or kind.startswith("Type 3") for name, kind in added), \
        f"no font beyond the Latin ones drew the Chinese answer: {added}"
    assert chinese in "".join(_pdf_pages_text(pdf)).replace("\n", "").replace(" ", "")
