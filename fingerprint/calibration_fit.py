"""Fitting a calibration map on pairs of known lineage, with out-of-sample error.

The map is a logistic regression of "distilled" on a few evidence statistics, each
standardised on the training cases.  Coefficients are constrained to be non-negative (every
feature is oriented so that larger means "more like distillation"), so the map is monotone,
and a small ridge penalty keeps it finite when the training classes separate.

A *case* is one replicate (one seed, one probe subset, one control panel) of one *pair*
(reference, suspect).  Replicates of one pair are not independent, so cross-validation holds
out whole pairs (leave-one-pair-out, or grouped k-fold when there are many pairs): every
probability used to measure the error was predicted by a map that never saw that pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from scipy import optimize

from . import calibration_metrics as cm
from .calibration_metrics import choose_thresholds, label_for
from .errors import CalibrationError

# Evidence the map reads, per kind of run (see docs/calibration.md):
# * distill_t_min: the panel's weakest studentised relative-similarity statistic;
# * identity_agreement_diff / choice_agreement_diff: how much more often the suspect than the
#   most reference-like control repeats the reference's identity claims and its random-choice
#   biases (inherited quirks: specific to the reference, unlike overall closeness, which also
#   rises for any model trained on a mix of sources);
# * effect_standardized: t / sqrt(n), the per-prompt effect (one-answer runs have no quirks);
# * lineage_z: the corpus lineage score of the run's own panel (fingerprint.lineage), which
#   needs a wide panel: its standardisation is against the controls' spread.
DEFAULT_FEATURES: dict[str, tuple[str, ...]] = {
    "multi_sample": ("distill_t_min", "identity_agreement_diff", "choice_agreement_diff"),
    "single_sample": ("distill_t_min", "effect_standardized"),
    "single_sample_wide": ("lineage_z",),
}
# One-answer runs with at least this many controls are calibrated apart, on the lineage score:
# the smallest panel on which it was measured to separate the public pairs (held-out AUC 0.86
# with 20 controls, 0.76 with 5; docs/calibration.md).
WIDE_PANEL = 20
DEFAULT_RIDGE = 1.0
MAX_LOPO_PAIRS = 60
GROUPED_FOLDS = 10


@dataclass
class Case:
    """One replicate of one pair of known lineage; ``label`` is 1 for distilled, 0 for not."""

    pair: str
    label: int
    evidence: dict[str, Any]
    source: str = "custom"
    kind: str = ""
    info: dict[str, Any] = field(default_factory=dict)


def feature_matrix(cases: Sequence[Case], features: Sequence[str]) -> np.ndarray:
    """Rows of finite feature values; a case lacking one raises (fit only on complete cases)."""
    x = np.empty((len(cases), len(features)))
    for i, case in enumerate(cases):
        for j, name in enumerate(features):
            value = case.evidence.get(name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
                raise CalibrationError(f"pair {case.pair} has no numeric evidence '{name}'; "
                                       "every calibration case needs every feature of the map")
            x[i, j] = float(value)
    return x


def fit_logistic(x: np.ndarray, y: np.ndarray, *, ridge: float = DEFAULT_RIDGE,
                 nonnegative: bool = True) -> tuple[np.ndarray, float]:
    """Penalised maximum likelihood: minimise Σ log(1 + e^{−s·η}) + ridge/2·‖w‖² (intercept
    unpenalised), with w ≥ 0 when ``nonnegative``.  ``x`` should be standardised."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if len(set(y.tolist())) < 2:
        raise CalibrationError("calibration needs both distilled and non-distilled pairs")
    sign = 2.0 * y - 1.0
    d = x.shape[1]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = x @ theta[:d] + theta[d]
        m = -sign * eta
        loss = float(np.sum(np.logaddexp(0.0, m))) + 0.5 * ridge * float(theta[:d] @ theta[:d])
        g = -sign * (1.0 / (1.0 + np.exp(-m)))  # d loss / d eta
        grad = np.empty(d + 1)
        grad[:d] = x.T @ g + ridge * theta[:d]
        grad[d] = g.sum()
        return loss, grad

    rate = min(max(y.mean(), 1e-3), 1 - 1e-3)
    start = np.zeros(d + 1)
    start[d] = math.log(rate / (1 - rate))
    bounds = [(0.0, None) if nonnegative else (None, None)] * d + [(None, None)]
    res = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": 2000, "gtol": 1e-9, "ftol": 1e-14})
    if not np.all(np.isfinite(res.x)):
        raise CalibrationError("the logistic fit did not converge; check the evidence values")
    return res.x[:d].copy(), float(res.x[d])


@dataclass
class FittedMap:
    """A fitted logistic map with its standardisation and the clip range (training range)."""

    features: list[str]
    mean: np.ndarray
    sd: np.ndarray
    coef: np.ndarray
    intercept: float
    lo: np.ndarray
    hi: np.ndarray
    base_rate: float

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        z = np.clip((np.asarray(x, float) - self.mean) / self.sd, self.lo, self.hi)
        return z @ self.coef + self.intercept

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.log_odds(x)))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "coefficients": {f: float(c) for f, c in zip(self.features, self.coef)},
            "intercept": float(self.intercept),
            "standardize": {f: [float(m), float(s)] for f, m, s in zip(self.features, self.mean, self.sd)},
            "clip": {f: [float(a), float(b)] for f, a, b in zip(self.features, self.lo, self.hi)},
            "base_rate": float(self.base_rate),
        }


def fit_map(x: np.ndarray, y: np.ndarray, features: Sequence[str], *,
            ridge: float = DEFAULT_RIDGE) -> FittedMap:
    """Standardise on these cases, fit, and clip future inputs to the range seen here."""
    x = np.asarray(x, float)
    mean = x.mean(axis=0)
    sd = x.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    z = (x - mean) / sd
    coef, intercept = fit_logistic(z, y, ridge=ridge)
    return FittedMap(list(features), mean, sd, coef, intercept, z.min(axis=0), z.max(axis=0),
                     float(np.mean(y)))


def grouped_folds(groups: Sequence[str], rng: np.random.Generator) -> list[np.ndarray]:
    """Test-index sets: one per pair (leave-one-pair-out) up to ``MAX_LOPO_PAIRS`` pairs,
    else ``GROUPED_FOLDS`` folds of whole pairs, assigned at random."""
    names = sorted(set(groups))
    arr = np.asarray(groups)
    if len(names) <= MAX_LOPO_PAIRS:
        return [np.flatnonzero(arr == g) for g in names]
    order = rng.permutation(len(names))
    fold_of = {names[i]: k % GROUPED_FOLDS for k, i in enumerate(order)}
    fold = np.array([fold_of[g] for g in groups])
    return [np.flatnonzero(fold == k) for k in range(GROUPED_FOLDS)]


def cross_validated(x: np.ndarray, y: np.ndarray, groups: Sequence[str],
                    features: Sequence[str], *, ridge: float = DEFAULT_RIDGE,
                    rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Out-of-sample probabilities (each from a map fitted without that case's pair) and
    a description of the scheme."""
    folds = grouped_folds(groups, rng)
    out = np.full(len(y), np.nan)
    for test in folds:
        train = np.setdiff1d(np.arange(len(y)), test)
        if len(set(y[train].tolist())) < 2:
            raise CalibrationError("holding out one pair leaves a single class; add more "
                                   "distilled and non-distilled pairs")
        out[test] = fit_map(x[train], y[train], features, ridge=ridge).probability(x[test])
    n_pairs = len(set(groups))
    scheme = (f"leave-one-pair-out over {n_pairs} pairs" if len(folds) == n_pairs
              else f"grouped {len(folds)}-fold by pair over {n_pairs} pairs")
    return out, scheme


def _by_kind(cases: Sequence[Case], p: np.ndarray, thresholds: dict[str, Any]) -> dict[str, Any]:
    """Per kind of pair (e.g. student-5, independent): cases, mean out-of-sample P, labels."""
    out: dict[str, Any] = {}
    for kind in sorted({c.kind for c in cases}):
        idx = [i for i, c in enumerate(cases) if c.kind == kind]
        labels = [label_for(float(p[i]), thresholds) for i in idx]
        out[kind] = {"cases": len(idx), "label": cases[idx[0]].label,
                     "mean_probability": float(np.mean(p[idx])),
                     "called_distilled": labels.count("distilled"),
                     "called_independent": labels.count("independent")}
    return out


def _sources_text(counts: dict[str, tuple[int, int]]) -> str:
    return "; ".join(f"{src}: {n_pairs} pairs, {n_cases} cases"
                     for src, (n_pairs, n_cases) in sorted(counts.items()))


def plain_summary(cmap: dict[str, Any]) -> str:
    """One paragraph a report can print: what the probability is calibrated on, its error,
    and how the report's label uses its thresholds (``analysis_verdict.final_verdict``)."""
    m, t = cmap["metrics"], cmap["thresholds"]
    per = "; ".join(f"{src} ECE {v['ece']:.3f} (n={v['n']})"
                    for src, v in sorted(m.get("by_source", {}).items()))
    noise = "; ".join(f"{v['ece_if_calibrated']['mean']:.3f} for {src}"
                      for src, v in sorted(m.get("by_source", {}).items())
                      if v.get("ece_if_calibrated"))
    d, i = t["distilled"], t["independent"]
    return (f"P(distilled) is calibrated on {cmap['trained_on']['pairs']} pairs of known lineage "
            f"({cmap['trained_on']['description']}), at their base rate of "
            f"{cmap['base_rate']:.2f}. Held out by pair ({m['scheme']}), its expected calibration "
            f"error is {m['overall']['ece']:.3f} over 10 bins ({per}"
            + (f"; a perfectly calibrated map would show about {noise} on these few pairs"
               if noise else "") +
            f") and its Brier score {m['overall']['brier']:.3f}. A 'distilled' label needs the "
            f"test to reject and P >= {d['probability']:.3g} ({d['false_positives']} of "
            f"{d['negatives']} held-out non-distilled cases reached it); without a rejection, "
            f"P below that reads 'independent'. At P <= {i['probability']:.3g} distilled pairs "
            f"were rare ({i['false_negatives']} of {i['positives']} held-out distilled cases).")


def build_map(cases: Sequence[Case], features: Sequence[str], *, name: str, version: str,
              seed: int = 0, ridge: float = DEFAULT_RIDGE, method_note: str = "",
              extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fit the map on every labelled case and measure its error out of sample.

    Cases with ``label`` None (same-model pairs) are not fitted; their probabilities under
    the final map are reported apart (the same-model answer comes from the equality test)."""
    fit_cases = [c for c in cases if c.label in (0, 1)]
    held = [c for c in cases if c.label not in (0, 1)]
    if not fit_cases:
        raise CalibrationError("no labelled (distilled / independent) pairs to calibrate on")
    x = feature_matrix(fit_cases, features)
    y = np.array([c.label for c in fit_cases], float)
    groups = [c.pair for c in fit_cases]
    rng = np.random.default_rng(seed)
    oos, scheme = cross_validated(x, y, groups, features, ridge=ridge, rng=rng)
    final = fit_map(x, y, features, ridge=ridge)
    thresholds = choose_thresholds(oos, y)
    sources = sorted({c.source for c in fit_cases})
    by_source = {}
    counts: dict[str, tuple[int, int]] = {}
    noise_rng = np.random.default_rng([seed, 1])
    for src in sources:
        idx = [i for i, c in enumerate(fit_cases) if c.source == src]
        by_source[src] = cm.summarize(oos[idx], y[idx])
        by_source[src]["ece_if_calibrated"] = cm.ece_if_calibrated(
            oos[idx], y[idx], [groups[i] for i in idx], rng=noise_rng)
        counts[src] = (len({fit_cases[i].pair for i in idx}), len(idx))
    pairs: dict[str, dict[str, Any]] = {}
    for c in cases:
        entry = pairs.setdefault(c.pair, {"pair": c.pair, "source": c.source, "kind": c.kind,
                                          "label": {1: "distilled", 0: "not distilled"}.get(
                                              c.label, "same model (not fitted)"), "cases": 0})
        entry["cases"] += 1
    same = {}
    if held:
        p_same = final.probability(feature_matrix(held, features))
        same = {"cases": len(held), "pairs": len({c.pair for c in held}),
                "mean_probability": float(p_same.mean()), "min_probability": float(p_same.min())}
    panels = [c.evidence.get("n_controls") for c in fit_cases]
    panels = [int(k) for k in panels if isinstance(k, (int, float)) and not isinstance(k, bool)]
    cmap: dict[str, Any] = {
        "name": name, "version": version,
        "method": ("logistic regression with non-negative coefficients (monotone in every "
                   f"feature) and ridge penalty {ridge} on standardised features, fitted by "
                   "penalised maximum likelihood (scipy L-BFGS-B); inputs clipped to the "
                   "training range" + (f"; {method_note}" if method_note else "")),
        **final.to_json(),
        "seed": seed,
        "trained_on": {"pairs": len({c.pair for c in fit_cases}), "cases": len(fit_cases),
                       "distilled_cases": int(y.sum()), "description": _sources_text(counts),
                       "list": sorted(pairs.values(), key=lambda e: (e["source"], e["pair"])),
                       # control-panel sizes of the fitted cases: a run with a smaller panel
                       # gets a calibration_note (its statistics are noisier than the map's)
                       "controls_per_case": [min(panels), max(panels)] if panels else None},
        "metrics": {"scheme": scheme, "overall": cm.summarize(oos, y), "by_source": by_source,
                    "by_kind": _by_kind(fit_cases, oos, thresholds), "same_model": same},
        "thresholds": thresholds,
        "held_out": [[c.pair, int(c.label), round(float(q), 6)] for c, q in zip(fit_cases, oos)],
    }
    cmap.update(extra or {})
    cmap["plain_summary"] = plain_summary(cmap)
    return cmap


SEGMENT_FIELDS = ("segment", "features", "coefficients", "intercept", "standardize", "clip", "base_rate",
                  "trained_on", "metrics", "thresholds", "held_out", "plain_summary")
SEGMENT_TEXT = {"multi_sample": "runs with several answers per probe (live or built-in models)",
                "single_sample": "runs with one answer per prompt (replayed public corpora) "
                                 f"and fewer than {WIDE_PANEL} controls",
                "single_sample_wide": "runs with one answer per prompt (replayed public "
                                      f"corpora) and {WIDE_PANEL} or more controls"}


def segment_of(evidence: dict[str, Any]) -> str:
    """Evidence from one answer per prompt is calibrated apart (its statistic is another
    one), and so are such runs with a wide control panel (they carry the lineage score)."""
    if not evidence.get("single_sample"):
        return "multi_sample"
    k = evidence.get("n_controls")
    wide = isinstance(k, (int, float)) and not isinstance(k, bool) and k >= WIDE_PANEL
    return "single_sample_wide" if wide else "single_sample"


def build_calibration(cases: Sequence[Case], features: dict[str, Sequence[str]], *, name: str,
                      version: str, seed: int = 0, ridge: float = DEFAULT_RIDGE,
                      extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One map per kind of run present (multi-sample, single-sample), in one file.

    The top level is the multi-sample map when there is one (so a reader that ignores
    ``segments`` still gets a valid map); ``segments`` holds each; ``apply_calibration`` picks
    by the evidence's ``single_sample`` flag."""
    groups: dict[str, list[Case]] = {}
    for c in cases:
        groups.setdefault(segment_of(c.evidence), []).append(c)
    maps = {seg: dict(build_map(cs, features[seg], name=name, version=version, seed=seed,
                                ridge=ridge), segment=seg) for seg, cs in sorted(groups.items())}
    top = dict(maps.get("multi_sample") or next(iter(maps.values())))
    if len(maps) > 1:
        top["segments"] = {seg: {k: m[k] for k in SEGMENT_FIELDS} for seg, m in maps.items()}
        top["plain_summary"] = " ".join(f"For {SEGMENT_TEXT[seg]}: {m['plain_summary']}"
                                        for seg, m in maps.items())
        top["metrics"] = dict(top["metrics"], by_source={
            src: v for m in maps.values() for src, v in m["metrics"]["by_source"].items()})
    top.update(extra or {})
    return top


def format_metrics(cmap: dict[str, Any]) -> str:
    """The metrics table ``fingerprint calibrate`` prints (every segment)."""
    if cmap.get("segments"):
        return "\n\n".join(f"[{SEGMENT_TEXT[seg]}]\n" + _format_one(dict(cmap, **m))
                           for seg, m in cmap["segments"].items())
    return _format_one(cmap)


def _format_one(cmap: dict[str, Any]) -> str:
    """The metrics table ``fingerprint calibrate`` prints."""
    m, t = cmap["metrics"], cmap["thresholds"]
    coef = ", ".join(f"{f}: {cmap['coefficients'][f]:.3f}" for f in cmap["features"])
    lines = [f"calibration {cmap['name']} v{cmap['version']}: {cmap['trained_on']['pairs']} pairs, "
             f"{cmap['trained_on']['cases']} cases, base rate {cmap['base_rate']:.3f}",
             f"features (standardised coefficients): {coef}",
             f"out-of-sample error ({m['scheme']}):",
             cm.format_summary("all pairs", m["overall"])]
    lines += [cm.format_summary(src, v) for src, v in sorted(m["by_source"].items())]
    d, i = t["distilled"], t["independent"]
    lines.append(f"thresholds: distilled at P >= {d['probability']:.4g} (FPR {d['false_positive_rate']:.3f}"
                 f", {d['false_positives']}/{d['negatives']}, upper95 {d['false_positive_rate_upper95']:.3f};"
                 f" TPR {d['true_positive_rate']:.3f}); independent at P <= {i['probability']:.4g} "
                 f"(FNR {i['false_negative_rate']:.3f}, {i['false_negatives']}/{i['positives']})")
    lines.append("by kind: " + "; ".join(
        f"{k} P̄={v['mean_probability']:.2f} ({v['called_distilled']}/{v['cases']} distilled)"
        for k, v in m["by_kind"].items()))
    if m.get("same_model"):
        lines.append(f"same-model pairs (not fitted): mean P {m['same_model']['mean_probability']:.2f}"
                     f" over {m['same_model']['cases']} cases")
    return "\n".join(lines)


def calibrate_command(pairs: str, corpus: str | None, out: str, *, seed: int = 0) -> str:
    """``fingerprint calibrate``: gather evidence on the user's pairs, fit, write the map to
    ``out`` (usable as ``compare --calibration FILE``) and return the metrics table."""
    import hashlib
    import json
    from pathlib import Path

    from . import calibration_pairs as cp

    features = {seg: list(f) for seg, f in DEFAULT_FEATURES.items()}
    specs = cp.read_pairs(pairs)
    if corpus:
        cases = cp.corpus_cases(corpus, specs, seed=seed)
    else:
        cases = cp.live_cases(specs, seed=seed)
    target = Path(out)
    digest = hashlib.sha256(Path(pairs).read_bytes()).hexdigest()
    cmap = build_calibration(cases, features, name=target.stem, version=f"custom-{digest[:12]}",
                     seed=seed, extra={"pairs_file": {"name": Path(pairs).name,
                                                      "sha256": digest},
                                       "corpus": Path(corpus).name if corpus else None})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(cmap, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return format_metrics(cmap) + f"\nwrote {target}; use it with `fingerprint compare --calibration {target}`"
