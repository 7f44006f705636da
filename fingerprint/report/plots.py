"""Plots of a report, drawn with matplotlib's Agg renderer into reproducible PNG bytes.

Every plot reads only ``report.json``.  The same report gives byte-identical files: a
fixed style (matplotlib defaults, not the user's matplotlibrc), a fixed size and dpi,
and no ``Software`` or date metadata in the PNG.  Models are told apart by marker
shape, hatch and line style as well as by colour, so the plots survive greyscale
printing.  Text that came from a model (answer labels) is shown on one line, cut short,
with control characters made visible and ``$`` escaped so mathtext never parses it.
"""

from __future__ import annotations

import io
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..analysis import ChoiceCounts, FamilyResult
from ..analysis import fmt_p as format_p
from ..run import Report
from .escape import one_line, short_name
from .sequential_plot import draw_evidence_path, has_rounds

DPI = 110
MAX_CHOICE_PROBES = 4
MAX_CHOICES = 8
_RC = {
    "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
    "legend.fontsize": 8, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "fingerprint",
}
# Okabe-Ito colours (colour-blind safe); shape and hatch carry the same information.
_CONTROL_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
_CONTROL_MARKERS = ["s", "^", "D", "v", "P", "X"]
_CONTROL_HATCH = ["//", "\\\\", "xx", "..", "--", "++"]


@dataclass(frozen=True)
class PlotInfo:
    """One plot: its key, its path relative to the run folder, and how to caption it."""

    key: str
    path: str
    title: str
    caption: str


def _plain(text: object, max_chars: int = 40) -> str:
    return one_line(text, max_chars).replace("$", r"\$")


def _model_style(label: str) -> dict[str, Any]:
    """Marker, colour, fill and hatch for a model label (reference, suspect, control N)."""
    if label == "reference":
        return {"marker": "*", "color": "#000000", "fill": True, "hatch": "", "size": 90}
    if label == "suspect":
        return {"marker": "o", "color": "#D55E00", "fill": True, "hatch": "", "size": 45}
    digits = "".join(ch for ch in label if ch.isdigit())
    i = (int(digits) - 1 if digits else 0) % len(_CONTROL_MARKERS)
    return {"marker": _CONTROL_MARKERS[i], "color": _CONTROL_COLOURS[i], "fill": False,
            "hatch": _CONTROL_HATCH[i], "size": 40}


def _control_names(report: Report) -> list[str]:
    return [c.spec for c in report.models.controls]


def _label(name: str, report: Report) -> str:
    """``reference``, ``suspect`` or ``control N`` for a model name as the analysis wrote it."""
    if name in ("reference", "suspect"):
        return name
    names = _control_names(report)
    return f"control {names.index(name) + 1}" if name in names else name


def _legend_name(label: str, report: Report) -> str:
    if label.startswith("control"):
        digits = "".join(ch for ch in label if ch.isdigit())
        names = _control_names(report)
        if digits and 0 < int(digits) <= len(names) and names[int(digits) - 1]:
            return _plain(f"{label}: {names[int(digits) - 1]}", 48)
    return _plain(label, 48)


def _choice_probes(report: Report) -> list[ChoiceCounts]:
    """The choice probes to draw: most significant first (per-probe p-value), then by id."""
    pvals = {p.id: p.p_value for p in report.probes}

    def key(c: ChoiceCounts) -> tuple[float, str]:
        p = pvals.get(c.probe_id)
        return (p if p is not None else 2.0, c.probe_id)

    drawn = [c for c in report.analysis.plot_data.choice_counts if c.categories]
    return sorted(drawn, key=key)[:MAX_CHOICE_PROBES]


def _effect_families(report: Report) -> list[FamilyResult]:
    return [f for f in report.analysis.families
            if f.effect is not None and f.ci[0] is not None and f.ci[1] is not None]


def plan_plots(report: Report) -> list[PlotInfo]:
    """The plots this report has data for, in display order (no drawing)."""
    data = report.analysis.plot_data
    out: list[PlotInfo] = []
    if has_rounds(report):
        out.append(PlotInfo("evidence_path", "plots/evidence_path.png",
                            "Sequential collection: the evidence after each round",
                            "Each question's e-process (log scale) against the answers collected; "
                            "the collection stops when one crosses its dotted line (a test at "
                            "that level however often it looked), when a confidence bound shows "
                            "more answers would not change the verdict, or when the budget or "
                            "the suite runs out. " + (report.collection.stop_sentence or "")))
    if _effect_families(report):
        out.append(PlotInfo("family_effects", "plots/family_effects.png", "Effect size by probe family",
                            "Each family's effect with its interval; right of the dashed line means the "
                            "suspect is closer to the reference than the controls are."))
    if data.family_similarity:
        out.append(PlotInfo("family_similarity", "plots/family_similarity.png",
                            "Similarity to the reference, per probe family",
                            "How close each model's answers are to the reference's, family by family. "
                            "A distilled suspect sits with the reference, apart from the controls."))
    rank = report.analysis.tests.distillation_lineage
    if rank is not None and rank.control_scores:
        out.append(PlotInfo("lineage_rank", "plots/lineage_rank.png",
                            "The deciding test: the suspect ranked among the controls",
                            "Each dot is one control's lineage score, computed exactly as the "
                            "suspect's (the control in the suspect's place, itself held out); the "
                            "red line is the suspect's score. Controls at or above it are named: "
                            "how often an unrelated model scores as high."))
    if data.null_distribution is not None and data.null_distribution.null:
        secondary = rank is not None and rank.decides
        out.append(PlotInfo("null_distribution", "plots/null_distribution.png",
                            "Null distribution of the relative test"
                            + (" (secondary: it did not decide)" if secondary else ""),
                            "Values of the relative test's statistic under sign flips of the "
                            "per-probe differences against the weakest control, and the observed "
                            "value; its p-value comes from the t-test named in Appendix A"
                            + (". The verdict rests on the rank test above, not on this one."
                               if secondary else ".")))
    if data.projection is not None and data.projection.points:
        out.append(PlotInfo("answer_map", "plots/answer_map.png", "Map of answers",
                            "Every answer placed in two dimensions so that similar answers sit close "
                            "together; one marker shape per model."))
    if _choice_probes(report):
        out.append(PlotInfo("choice_counts", "plots/choice_counts.png", "Answers to choice probes",
                            "Share of samples giving each answer, per model, on the choice probes "
                            f"with the smallest per-probe p-values (at most {MAX_CHOICE_PROBES})."))
    return out


def _draw_family_effects(fig: Any, report: Report) -> None:
    fams = _effect_families(report)
    fig.set_size_inches(7.0, 1.2 + 0.38 * len(fams))
    ax = fig.add_subplot(1, 1, 1)
    for y, f in enumerate(reversed(fams)):
        lo, hi = float(f.ci[0]), float(f.ci[1])
        eff = float(f.effect)
        shape = "o" if lo > 0 else ("s" if hi < 0 else "D")
        ax.plot([lo, hi], [y, y], color="#000000", linewidth=1.4, solid_capstyle="butt")
        ax.scatter([eff], [y], marker=shape, s=40, zorder=3, edgecolors="#000000",
                   facecolors="#000000" if lo > 0 else "#FFFFFF")
    ax.axvline(0.0, color="#555555", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(fams)), labels=[_plain(f.family, 30) for f in reversed(fams)])
    ax.set_ylim(-0.7, len(fams) - 0.3)
    ax.set_xlabel("Effect size (positive: suspect closer to the reference than the controls)")
    ax.set_ylabel("Probe family")
    ax.set_title("Effect by family, with intervals (filled: interval above zero)")


def _draw_family_similarity(fig: Any, report: Report) -> None:
    rows = report.analysis.plot_data.family_similarity
    fig.set_size_inches(7.0, 1.6 + 0.42 * len(rows))
    ax = fig.add_subplot(1, 1, 1)
    series: dict[str, list[tuple[float, float]]] = {}
    for y, row in enumerate(reversed(rows)):
        for label, value in (("reference", row.reference_self), ("suspect", row.suspect)):
            if value is not None:
                series.setdefault(label, []).append((float(value), y))
        for i, v in enumerate(row.controls):
            if v is not None:
                series.setdefault(f"control {i + 1}", []).append((float(v), y))
        ax.axhline(y, color="#DDDDDD", linewidth=0.6, zorder=0)
    for label, pts in series.items():
        st = _model_style(label)
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=st["marker"], s=st["size"],
                   facecolors=st["color"] if st["fill"] else "none", edgecolors=st["color"],
                   linewidths=1.3, label=_legend_name(label, report), zorder=3)
    ax.set_yticks(range(len(rows)), labels=[_plain(r.family, 30) for r in reversed(rows)])
    ax.set_xlabel("Similarity to the reference's answers (higher = closer)")
    ax.set_ylabel("Probe family")
    ax.set_title("Similarity of each model to the reference")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.5 / max(1, len(rows)) - 0.12), ncol=3,
              frameon=False)


def _draw_null(fig: Any, report: Report) -> None:
    nd = report.analysis.plot_data.null_distribution
    values = [float(v) for v in nd.null]
    fig.set_size_inches(7.0, 3.4)
    ax = fig.add_subplot(1, 1, 1)
    ax.hist(values, bins=40, color="#BBBBBB", edgecolor="#444444", hatch="//", linewidth=0.5,
            label=f"null ({len(values):,} permutations)")
    obs = float(nd.observed)
    p = report.analysis.tests.distillation.p_value
    tag = f"observed = {obs:.4g}" + (f", p = {format_p(p)}" if p is not None else "")
    ax.axvline(obs, color="#000000", linewidth=2.2, label=tag)
    span = [min(values + [obs]), max(values + [obs])]
    pad = 0.05 * ((span[1] - span[0]) or 1.0)
    ax.set_xlim(span[0] - pad, span[1] + pad)
    ax.set_xlabel(_plain(nd.statistic, 80))
    ax.set_ylabel("Number of permutations")
    ax.set_title("Distillation test: null distribution and observed value")
    ax.legend(loc="upper left", frameon=False)


def _draw_lineage_rank(fig: Any, report: Report) -> None:
    rank = report.analysis.tests.distillation_lineage
    scores = [float(v) for v in rank.control_scores]
    names = list(rank.control_names or [f"control {i + 1}" for i in range(len(scores))])
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    fig.set_size_inches(7.0, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter([scores[i] for i in order], range(len(order)), s=14, color="#555555",
               marker="o", label=f"controls ({len(scores)})")
    obs = float(rank.statistic)
    ax.axvline(obs, color="#C0392B", linewidth=2.2,
               label=f"suspect = {obs:.3g}, p = {format_p(rank.p_value)}")
    # Named: every control at or above the suspect (at most 8) and the one just below.
    above = [j for j, i in enumerate(order) if scores[i] >= obs][-8:]
    below = [j for j, i in enumerate(order) if scores[i] < obs][-1:]
    for j in below + above:
        ax.annotate(_plain(short_name(names[order[j]], 40), 40), (scores[order[j]], j),
                    xytext=(-5, 0), textcoords="offset points", fontsize=7, va="center",
                    ha="right", color="#000000" if j in above else "#555555")
    ax.set_yticks([])
    ax.set_xlabel("lineage score (units of the controls' spread)")
    ax.set_ylabel("controls, by score")
    ax.set_title("Lineage rank test: where the suspect sits among the controls")
    ax.legend(loc="lower right", frameon=False)


def _draw_answer_map(fig: Any, report: Report) -> None:
    proj = report.analysis.plot_data.projection
    fig.set_size_inches(7.0, 5.0)
    ax = fig.add_subplot(1, 1, 1)
    groups: dict[str, list[tuple[float, float]]] = {}
    for pt in proj.points:
        groups.setdefault(_label(pt.model, report), []).append((pt.x, pt.y))
    order = sorted(groups, key=lambda s: (s != "reference", s != "suspect", s))
    for lab in order:
        st = _model_style(lab)
        xs, ys = zip(*groups[lab])
        ax.scatter(xs, ys, marker=st["marker"], s=st["size"] * 0.7, linewidths=1.0, alpha=0.85,
                   facecolors=st["color"] if st["fill"] else "none", edgecolors=st["color"],
                   label=_legend_name(lab, report), zorder=4 if lab in ("reference", "suspect") else 3)
    method = _plain(f"{proj.method}, probe {proj.probe_id}", 60)
    ax.set_xlabel(f"Component 1 ({method})")
    ax.set_ylabel("Component 2")
    ax.set_title("Answers of every model, placed by similarity")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)


def _draw_choices(fig: Any, report: Report) -> None:
    probes = _choice_probes(report)
    fig.set_size_inches(7.0, 3.1 * len(probes))
    for k, cc in enumerate(probes):
        ax = fig.add_subplot(len(probes), 1, k + 1)
        per_model = {_label(m, report): dict(zip(cc.categories, map(float, row)))
                     for m, row in zip(cc.models, cc.counts)}
        labels = sorted(per_model, key=lambda s: (s != "reference", s != "suspect", s))
        totals: dict[str, float] = {}
        for lab in labels:
            for ans, c in per_model[lab].items():
                totals[ans] = totals.get(ans, 0.0) + c
        answers = sorted(totals, key=lambda a: (-totals[a], a))
        shown = answers[:MAX_CHOICES]
        has_other = len(answers) > len(shown)
        rows = shown + (["(other)"] if has_other else [])
        height = 0.8 / max(1, len(labels))
        for j, lab in enumerate(labels):
            dist = per_model[lab]
            n = sum(dist.values()) or 1.0
            vals = [dist.get(a, 0.0) / n for a in shown]
            if has_other:
                vals.append(sum(v for a, v in dist.items() if a not in shown) / n)
            st = _model_style(lab)
            ys = [i + (j - (len(labels) - 1) / 2) * height for i in range(len(rows))]
            ax.barh(ys, vals, height=height, color=st["color"] if st["fill"] else "#FFFFFF",
                    edgecolor=st["color"], hatch=st["hatch"], linewidth=0.9,
                    label=_legend_name(lab, report))
        ax.set_yticks(range(len(rows)), labels=[_plain(r, 24) for r in rows])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("Share of samples")
        ax.set_ylabel("Answer")
        ax.set_title(_plain(f"Probe {cc.probe_id}", 70))
        if k == 0:
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)


_DRAW: dict[str, Callable[[Any, Report], None]] = {
    "family_effects": _draw_family_effects, "family_similarity": _draw_family_similarity,
    "null_distribution": _draw_null, "answer_map": _draw_answer_map, "choice_counts": _draw_choices,
    "lineage_rank": _draw_lineage_rank, "evidence_path": draw_evidence_path,
}


@contextmanager
def _style() -> Iterator[None]:
    """Matplotlib defaults plus our settings, whatever the user's matplotlibrc says."""
    import matplotlib
    import matplotlib.style

    with matplotlib.style.context("default"), matplotlib.rc_context(_RC), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs in model answers (emoji, CJK)
        yield


def figures(report: Report) -> Iterator[tuple[PlotInfo, Any]]:
    """Yield ``(info, matplotlib Figure)`` for every planned plot (drawn, not saved)."""
    from matplotlib.figure import Figure

    with _style():
        for info in plan_plots(report):
            fig = Figure(dpi=DPI)
            _DRAW[info.key](fig, report)
            fig.tight_layout()
            yield info, fig


def plot_pngs(report: Report) -> dict[str, bytes]:
    """Draw every planned plot; returns ``{relative path: PNG bytes}`` in display order."""
    out: dict[str, bytes] = {}
    with _style():
        for info, fig in figures(report):
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None},
                        facecolor="#FFFFFF", bbox_inches="tight", pad_inches=0.15)
            out[info.path] = buf.getvalue()
    return out


def write_plots(pngs: dict[str, bytes], run_dir: Path) -> list[str]:
    """Write PNGs from :func:`plot_pngs` under ``run_dir``; returns the relative paths."""
    written = []
    for rel, data in pngs.items():
        target = Path(run_dir) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(rel)
    return written


def render_plots(report: Report, run_dir: Path) -> list[str]:
    """Write the report's plots under ``run_dir/plots/``; returns the relative paths."""
    return write_plots(plot_pngs(report), run_dir)
