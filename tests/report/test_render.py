"""Rendering report.json to report.md, report.html and plots: content, safety, determinism."""

from __future__ import annotations

import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fingerprint.report.escape import clip, md_code, md_fence, md_inline, visible
from fingerprint.report.limits import derive_limitations, model_family
from fingerprint.report.plots import _model_style, figures, plan_plots, render_plots
from fingerprint.report.render import render_html, render_markdown, write_report_files
from fakes.reports import edited, example_report
from fingerprint.errors import SchemaError
from fingerprint.run import Report

BIG = "A" * 100_000 + "END-OF-HUGE-ANSWER"
SCRIPT = "<script>alert('pwned')</script>"
LINKS = "[click me](http://evil.example/steal) ![pixel](http://evil.example/p.png) <img src=x onerror=alert(1)>"
ANSI = "\x1b[31mRED\x1b[0m and \x1b]8;;http://evil.example\x07osc link\x1b]8;;\x07 \u202eevil\u202c"
FENCE_BREAK = "```\n~~~~\n~~~~~~~~~~\n</pre></div><a href=\"http://evil.example\">x</a>\n# Heading\n- item\n``"


@pytest.fixture(scope="module")
def report() -> Report:
    return example_report()


def _make_hostile(r: dict) -> None:
    ex = r["analysis"]["exhibits"][0]
    ex["suspect_answer"] = SCRIPT + "\n" + LINKS
    ex["reference_answer"] = ANSI + "\n" + FENCE_BREAK
    ex["control_answer"] = BIG
    ex["why"] = "see " + LINKS
    r["models"]["suspect"]["served"]["models"] = ["acme`` | <b>bold</b>", "[x](http://evil.example)"]
    r["models"]["suspect"]["served"]["system_fingerprints"] = ["fp_" + SCRIPT, "fp_2"]
    counts = r["analysis"]["plot_data"]["choice_counts"][0]
    counts["categories"][:4] = ["$\\frac{1}{0}$", SCRIPT, "\x1b[2J", "blue"]


@pytest.fixture(scope="module")
def hostile(report: Report) -> Report:
    """The example report with model-controlled fields set to hostile text."""
    return edited(report, _make_hostile)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.style: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):  # noqa: ANN001
        self._in_style = False

    def handle_data(self, data):  # noqa: ANN001
        (self.style if self._in_style else self.text).append(data)


def _parse(html: str) -> _Collector:
    c = _Collector()
    c.feed(html)
    c.close()
    return c


def _assert_inert_html(html: str) -> _Collector:
    c = _parse(html)
    names = [t for t, _ in c.tags]
    for banned in ("script", "iframe", "object", "embed", "link", "base", "form", "frame", "svg", "video", "audio"):
        assert banned not in names, f"<{banned}> in report.html"
    for tag, attrs in c.tags:
        for k, v in attrs.items():
            assert not k.startswith("on"), f"event handler {k} on <{tag}>"
            if k in ("src", "href", "srcset", "action", "formaction", "poster", "data", "background"):
                assert v and (v.startswith("data:") or v.startswith("#")), f"{tag} {k}={v!r:.80}"
            if k == "http-equiv":
                assert v.lower() != "refresh"
            if k == "style":
                assert "url(" not in (v or "")
    for css in c.style:
        for url in re.findall(r"url\(([^)]*)\)", css):
            assert url.strip("'\" ").startswith(("data:", "#"))
        assert "@import" not in css
    return c


@pytest.fixture(scope="module")
def two_runs(report: Report, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """The sample report written twice, into two folders."""
    a, b = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    written = write_report_files(report, a)
    assert write_report_files(example_report(), b) == written
    return a, b, written


@pytest.fixture(scope="module")
def sample_html(two_runs: tuple[Path, Path, list[str]]) -> str:
    return (two_runs[0] / "report.html").read_text(encoding="utf-8")


def test_write_report_files_writes_md_html_and_plots(report: Report, two_runs: tuple) -> None:
    run, _, written = two_runs
    assert written[-2:] == ["report.md", "report.html"]
    assert {p for p in written if p.startswith("plots/")} == {p.path for p in plan_plots(report)}
    for rel in written:
        assert (run / rel).is_file() and (run / rel).stat().st_size > 0
    assert len([p for p in written if p.endswith(".png")]) == 5


def test_rerendering_reproduces_identical_bytes(two_runs: tuple) -> None:
    a, b, written = two_runs
    for rel in written:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_render_html_matches_the_written_file(report: Report, sample_html: str, tmp_path: Path) -> None:
    assert render_html(report, tmp_path) == sample_html


def _png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kinds.append(data[pos + 4:pos + 8])
        pos += 12 + length
    return kinds


def test_plots_carry_no_software_or_time_metadata(two_runs: tuple) -> None:
    run, _, written = two_runs
    for rel in (w for w in written if w.endswith(".png")):
        kinds = _png_chunks((run / rel).read_bytes())
        assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(kinds), (rel, kinds)


def test_every_plot_axis_is_labelled(report: Report) -> None:
    seen = 0
    for info, fig in figures(report):
        for ax in fig.axes:
            seen += 1
            assert ax.get_xlabel().strip(), f"{info.key}: x axis unlabelled"
            assert ax.get_ylabel().strip(), f"{info.key}: y axis unlabelled"
            assert ax.get_title().strip(), f"{info.key}: no title"
    assert seen >= 6


def test_models_differ_by_shape_or_hatch_not_colour_alone() -> None:
    labels = ["reference", "suspect"] + [f"control {i}" for i in range(1, 7)]
    keys = {(_model_style(lab)["marker"], _model_style(lab)["hatch"], _model_style(lab)["fill"])
            for lab in labels}
    assert len(keys) == len(labels)
    assert len({_model_style(lab)["marker"] for lab in labels}) == len(labels)


def test_html_is_self_contained_and_has_every_section(sample_html: str) -> None:
    html = sample_html
    c = _assert_inert_html(html)
    ids = {a.get("id") for _, a in c.tags}
    for section in ("summary", "evidence", "exhibits", "plots", "method", "limitations", "reproducibility"):
        assert section in ids
    imgs = [a["src"] for t, a in c.tags if t == "img"]
    assert len(imgs) == 5 and all(s.startswith("data:image/png;base64,") for s in imgs)
    for href in (a["href"] for t, a in c.tags if t == "a"):
        assert href[1:] in ids, f"dangling in-page link {href}"
    assert "Content-Security-Policy" in html


def test_first_screen_says_what_what_how_sure_and_where(sample_html: str) -> None:
    html = sample_html
    banner = html[html.index('id="summary"'):html.index("</section>")]
    text = " ".join(_parse(banner).text)
    assert "Distilled" in text
    assert "zoo/student-100" in text and "zoo/teacher" in text
    # the evaluative statement: propositions, LR with its bound and scale, measured error
    # rates with intervals, the posterior at a stated prior, flags; the deciding p-value
    for fact in ("Hp", "Hd1", "Hd2", "LR 50", "conservatively at least 13",
                 "moderate support for Hp over Hd1", "0 of 72", "95 % CI 0%–5.0%",
                 "98% at even prior", "1%", "10%", "⚑", "p = 0.0039", "4.2e-11"):
        assert fact in text, fact
    assert "79 probes" in text and "3,950 answers" in text
    assert "Caveat" in text and "#evidence" in banner


def test_markdown_has_the_same_content(report: Report, tmp_path: Path) -> None:
    md = render_markdown(report, tmp_path)
    for heading in ("## 1. Summary", "## 2. Evidence by probe family", "### Exhibits", "## 3. Plots",
                    "## 4. Method", "## 5. Limitations of this run", "## 6. Reproducibility and chain of custody"):
        assert heading in md
    for fact in ("VERDICT: DISTILLED", "Likelihood ratio 50", "98% at even prior",
                 "p = 0.0039", "4.2e-11", report.models.suspect.served.system_fingerprints[0],
                 report.suite.sha256, report.tool.git_revision, "fingerprint verify", "Seed:** 0",
                 report.collection.first_request, "matplotlib | "):
        assert fact in md, fact
    for p in plan_plots(report):
        assert f"]({p.path})" in md


def test_limitations_are_derived_from_the_run(report: Report) -> None:
    # the quick start's distill_t_min lies beyond the calibration's fitted range: said
    assert [d["title"] for d in derive_limitations(report)] == ["The probe suite is public",
                                                               "Outside the validated design"]

    def relatives_and_drift(r: dict) -> None:
        r["models"]["controls"][0]["spec"] = "zoo/student-100-sibling"
        r["evaluation"]["lineage"]["relatives_in_panel"] = [
            {"control": "zoo/student-100-sibling", "relative_of": "suspect",
             "shared": ["developer: organism lab 3003"]}]
        served = r["models"]["suspect"]["served"]
        served["models"] = ["student-100", "student-100-v2"]
        served["system_fingerprints"] = ["fp_a", "fp_b"]
        r["collection"]["responses_reused"] = 12

    titles = [d["title"] for d in derive_limitations(edited(report, relatives_and_drift))]
    assert titles == ["Control related to the suspect", "The served model changed during the run",
                      "The serving backend changed during the run", "The probe suite is public",
                      "Outside the validated design", "Responses reused from an earlier collection"]


def test_relatives_of_a_real_replay_come_from_the_lineage_facts(report: Report, shared_dir) -> None:
    """text_davinci_003 -> alpaca-7b with every other AlpacaEval model as control: the
    suspect's own variants are named as its relatives, grouped, and no false family warning
    (the corpus path no longer reads as a model family)."""
    from fingerprint._records import to_json
    from fingerprint.calibration import relation

    corpus = shared_dir / "corpora" / "alpaca_eval"
    names = sorted(p.name for p in (corpus / "results").iterdir() if p.is_dir())
    spec = lambda m: f"replay/{corpus}#{m}"  # noqa: E731
    controls = [spec(m) for m in names if m not in ("text_davinci_003", "alpaca-7b")]
    lineage = to_json(relation(spec("text_davinci_003"), spec("alpaca-7b"), controls))

    def replay(r: dict) -> None:
        r["evaluation"]["lineage"] = lineage
        r["evaluation"]["flags"] = []
        r["models"]["controls"] = [dict(r["models"]["controls"][0], spec=c) for c in controls]

    found = derive_limitations(edited(report, replay))
    assert len(found) <= 5
    kin = next(d for d in found if "developer: Stanford" in d["text"])
    assert kin["title"] == "Controls related to the suspect"
    assert "alpaca-7b_concise" in kin["text"] and "alpaca-7b_verbose" in kin["text"]
    assert any(d["title"] == "Controls related to the reference" and "gpt4" in d["text"]
               for d in found)
    assert not any("model family" in d["text"] for d in found)


def test_limitations_for_a_thin_run(report: Report) -> None:
    def thin(r: dict) -> None:
        r["models"]["controls"] = r["models"]["controls"][:1]
        r["collection"]["samples_per_probe"] = 3

    texts = " ".join(d["title"] + " " + d["text"] for d in derive_limitations(edited(report, thin)))
    assert "Only 1 control model" in texts and "Only 3 samples per probe" in texts
    assert "One answer per prompt" not in texts
    one_answer = edited(report, lambda r: r["analysis"].update(single_sample=True))
    one = [d for d in derive_limitations(one_answer) if d["title"] == "One answer per prompt"]
    assert len(one) == 1 and "no equality test" in one[0]["text"]
    no_controls = edited(report, lambda r: r["models"].update(controls=[]))
    assert derive_limitations(no_controls)[0]["title"] == "No control models"


def test_model_family_groups_relatives() -> None:
    assert model_family("ollama/llama3.1:8b") == model_family("openai-api/acme/llama-3.1-acme-8b") == "llama"
    assert model_family("ollama/qwen2.5:7b") == "qwen"
    assert model_family("openai/gpt-4o-mini") == "gpt"
    assert model_family("anthropic/claude-3-5-haiku-20241022") == "claude"


def test_a_report_that_breaks_the_schema_is_refused_by_name(report: Report) -> None:
    with pytest.raises(SchemaError, match="verdict"):
        edited(report, lambda r: r["verdict"].pop("label"))
    with pytest.raises(SchemaError, match="refusals"):
        edited(report, lambda r: r["analysis"].update(refusals=3))


def test_hostile_answers_are_inert_in_html(hostile: dict, tmp_path: Path) -> None:
    html = render_html(hostile, tmp_path)
    c = _assert_inert_html(html)
    text = "".join(c.text)
    assert SCRIPT in text                     # shown as text, readable
    assert "[click me](http://evil.example/steal)" in text
    assert "\x1b" not in html and "\\x1b[31mRED\\x1b[0m" in text
    assert "\u202e" not in html and "\\u202e" in text
    assert "\x00" not in html and "\x07" not in html
    assert "END-OF-HUGE-ANSWER" not in html and html.count("A" * 1000) <= 2
    assert "Truncated for display: showing 2,000 of 100,018 characters" in text
    assert "responses.jsonl" in text
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def _markdown_it():
    mdit = pytest.importorskip("markdown_it", reason="markdown-it-py (dev extra) renders Markdown")
    pytest.importorskip("linkify_it", reason="linkify-it-py (dev extra) checks autolinks")
    return mdit.MarkdownIt("gfm-like")


def test_hostile_answers_are_inert_in_markdown(hostile: dict, tmp_path: Path) -> None:
    md = render_markdown(hostile, tmp_path)
    assert "\x1b" not in md and "\u202e" not in md and "\x00" not in md
    assert "END-OF-HUGE-ANSWER" not in md and "Truncated for display" in md
    parser = _markdown_it()
    tokens = parser.parse(md)

    def walk(ts):  # noqa: ANN001, ANN202
        for t in ts:
            yield t
            yield from walk(t.children or [])

    kinds = [t.type for t in walk(tokens)]
    assert "html_block" not in kinds and "html_inline" not in kinds
    assert "link_open" not in kinds, "a link was rendered from report.md"
    images = [t.attrGet("src") for t in walk(tokens) if t.type == "image"]
    assert images and all(re.fullmatch(r"plots/[a-z_]+\.png", s or "") for s in images)
    headings = [t for t in walk(tokens) if t.type == "heading_open"]
    assert all(t.tag in ("h1", "h2", "h3", "h4") for t in headings)
    rendered = parser.render(md)
    assert "<script" not in rendered and "<img src=\"http" not in rendered
    fences = [t.content for t in walk(tokens) if t.type == "fence"]
    assert any(SCRIPT in f for f in fences) and any("~~~~~~~~~~" in f for f in fences)
    assert any("# Heading" in f for f in fences)


def test_escape_helpers() -> None:
    assert visible("a\x1b[1mb\r\nc\x7f") == "a\\x1b[1mb\nc\\x7f"
    c = clip("x" * 5000)
    assert c.truncated and len(c.text) == 2000 and "5,000" in c.note
    assert not clip("short").truncated
    assert clip("\n".join(["l"] * 100)).text.count("\n") == 39
    assert md_inline("[a](http://x) *b* <i>") == "\\[a\\](http\\:\\/\\/x) \\*b\\* \\<i\\>"
    assert md_inline("1. item") == "1\\. item" and md_inline("0.004") == "0.004"
    assert md_code("a``b") == "```a``b```" and md_code("`x`") == "`` `x` ``"
    assert md_code("a|b", in_table=True) == "`a\\|b`"
    fenced = md_fence(clip("~~~~~~\nx"))
    assert fenced.startswith("~~~~~~~text\n") and fenced.endswith("\n~~~~~~~")


def test_render_plots_writes_the_same_pngs(report: Report, two_runs: tuple, tmp_path: Path) -> None:
    run, _, written = two_runs
    pngs = render_plots(report, tmp_path)
    assert pngs == [w for w in written if w.endswith(".png")]
    assert all((tmp_path / p).read_bytes() == (run / p).read_bytes() for p in pngs)
