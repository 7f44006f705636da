"""The reliability diagram of a calibration map's out-of-sample predictions (PNG)."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from ._metrics import N_BINS

_STYLES = [("#D55E00", "o"), ("#0072B2", "s"), ("#009E73", "^"), ("#CC79A7", "D")]


def render_reliability(curves: dict[str, list[dict[str, Any]]], *, title: str = "Reliability",
                       marker: float | None = None) -> bytes:
    """PNG bytes of a reliability diagram: one curve per named set of bins (e.g. the map's
    stored ``reliability`` tables), point area ∝ bin count, counts histogram below.
    ``marker`` draws a vertical line at one probability (e.g. this report's)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 9,
                         "axes.spines.top": False, "axes.spines.right": False}):
        fig, (ax, hx) = plt.subplots(2, 1, figsize=(4.8, 5.4), dpi=110, sharex=True,
                                     gridspec_kw={"height_ratios": [3, 1]})
        ax.plot([0, 1], [0, 1], color="#777777", linestyle=":", linewidth=1,
                label="perfect calibration")
        width = 1.0 / max(len(next(iter(curves.values()), [])) or N_BINS, 1)
        offsets = np.linspace(-0.25, 0.25, max(len(curves), 1)) * width if len(curves) > 1 else [0.0]
        for i, (name, bins) in enumerate(curves.items()):
            colour, shape = _STYLES[i % len(_STYLES)]
            full = [b for b in bins if b["count"]]
            xs = [b["mean_predicted"] for b in full]
            ys = [b["observed_rate"] for b in full]
            sizes = [12 + 120 * math.sqrt(b["count"] / max(c["count"] for c in full)) for b in full]
            ax.plot(xs, ys, color=colour, linewidth=1, alpha=0.8)
            ax.scatter(xs, ys, s=sizes, color=colour, marker=shape, label=name, zorder=3,
                       edgecolors="black", linewidths=0.4)
            centres = [(b["lo"] + b["hi"]) / 2 + offsets[i] for b in bins]
            hx.bar(centres, [b["count"] for b in bins], width=width / max(len(curves), 1),
                   color=colour, alpha=0.8, edgecolor="black", linewidth=0.3)
        if marker is not None:
            for axis in (ax, hx):
                axis.axvline(marker, color="black", linewidth=1, linestyle="--")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("observed fraction distilled")
        ax.set_title(title)
        ax.legend(loc="upper left", frameon=False)
        hx.set_yscale("symlog", linthresh=1)
        hx.set_xlabel("predicted P(distilled), out of sample")
        hx.set_ylabel("cases per bin")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()


def write_reliability(cmap: dict[str, Any], path: str | Path, *,
                      marker: float | None = None) -> Path:
    """Draw a calibration map's stored out-of-sample reliability tables to ``path`` (PNG).

    This is what a report renderer calls: it needs only the map (``verdict.calibration``
    carries the same ``metrics``)."""
    metrics = cmap.get("metrics") or {}
    curves = {name: m["reliability"] for name, m in (metrics.get("by_source") or {}).items()
              if m.get("reliability")}
    if not curves and metrics.get("overall", {}).get("reliability"):
        curves = {"all pairs": metrics["overall"]["reliability"]}
    if not curves:
        raise ValueError("this calibration map stores no reliability table")
    title = f"Reliability of {cmap.get('name', 'the calibration')} (held-out pairs)"
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render_reliability(curves, title=title, marker=marker))
    return out
