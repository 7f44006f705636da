"""Report material beside the tests: exhibits, plot data, identity and choice agreement."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Sequence

import numpy as np

from ..stats.bootstrap import percentile_ci
from ..stats.categorical import NONE_LABEL, rate
from ..stats.relative import panel_test, pooled_relative_test
from ._probe import ProbeData, ProbeResult, comparisons, mean_similarities
from ._results import (ChoiceCounts, Exhibit, FamilyResult, FamilySimilarity,
                       IdentityAgreement, Projection, ProjectionPoint, Rate)


def _prompt(d: ProbeData) -> str:
    users = [m["content"] for m in d.probe.messages if m.get("role") == "user"]
    return users[-1] if users else ""


EXHIBIT_KINDS = ("most reference-like", "drawn at random", "least reference-like")
MAX_EXHIBIT_FAMILIES = 8


def _random_index(probe_id: str, n: int) -> int:
    """A seeded draw recorded by its derivation: SHA-256 of the probe id, first 8 bytes."""
    seed = int.from_bytes(hashlib.sha256(f"exhibit:{probe_id}".encode()).digest()[:8], "big")
    return int(np.random.default_rng(seed).integers(n))


def exhibits(results: Sequence[ProbeResult], effects: Sequence[float | None],
             control_names: Sequence[str]) -> tuple[Exhibit, ...]:
    """Per probe family, on its probe with the largest absolute effect, three suspect
    answers: the most reference-like, one drawn at random and the least reference-like,
    each beside its closest reference answer and the control answer closest to that.

    Showing only the best matches would be one-sided; the random and the contrary answer
    let a reader judge how typical the best one is.  Families come in order of absolute
    effect (at most :data:`MAX_EXHIBIT_FAMILIES`); a probe with one suspect answer gives one.
    """
    best: dict[str, int] = {}
    for i, e in enumerate(effects):
        if e is None or not len(results[i].data.groups[0]) or not len(results[i].data.groups[1]):
            continue
        family = results[i].data.probe.family
        if family not in best or abs(float(e)) > abs(float(effects[best[family]])):
            best[family] = i
    chosen = sorted(best.values(), key=lambda i: (-abs(float(effects[i])), results[i].data.probe.id))
    out: list[Exhibit] = []
    for i in chosen[:MAX_EXHIBIT_FAMILIES]:
        res = results[i]
        k, (r, s) = res.data.kernel, res.data.groups[:2]
        closeness = k[np.ix_(s, r)].max(axis=1)  # each suspect answer: its closest reference
        picks = [int(np.argmax(closeness)), _random_index(res.data.probe.id, len(s)),
                 int(np.argmin(closeness))]
        if len(s) == 1:
            picks = picks[:1]
        for kind, si in zip(EXHIBIT_KINDS, picks):
            out.append(_exhibit(res.data, kind, int(s[si]), closeness, control_names))
    return tuple(out)


def single_answer_exhibits(pdata: Sequence[ProbeData], effects: Sequence[float | None],
                           control_names: Sequence[str]) -> tuple[Exhibit, ...]:
    """One answer per prompt: per family, the prompt where the suspect is most
    reference-like (largest per-prompt effect), one drawn at random and the least."""
    by_family: dict[str, list[int]] = {}
    for i, e in enumerate(effects):
        if e is not None and len(pdata[i].groups[0]) and len(pdata[i].groups[1]):
            by_family.setdefault(pdata[i].probe.family, []).append(i)
    out: list[Exhibit] = []
    for family in sorted(by_family)[:MAX_EXHIBIT_FAMILIES]:
        idx = by_family[family]
        picks = [max(idx, key=lambda i: (float(effects[i]), pdata[i].probe.id)),
                 idx[_random_index(family, len(idx))],
                 min(idx, key=lambda i: (float(effects[i]), pdata[i].probe.id))]
        for kind, i in zip(EXHIBIT_KINDS, picks if len(idx) > 1 else picks[:1]):
            d = pdata[i]
            s_idx = int(d.groups[1][0])
            closeness = d.kernel[np.ix_(d.groups[1], d.groups[0])].max(axis=1)
            out.append(_exhibit(d, kind, s_idx, closeness, control_names))
    return tuple(out)


def _exhibit(d: ProbeData, kind: str, s_idx: int, closeness: np.ndarray,
             control_names: Sequence[str]) -> Exhibit:
    k, g, texts = d.kernel, d.groups, d.texts
    r_idx = int(g[0][int(np.argmax(k[s_idx, g[0]]))])
    best_c, best_sim, best_name = None, -np.inf, None
    for name, c in zip(control_names, g[2:]):
        if len(c):
            sims = k[c, r_idx]
            j = int(np.argmax(sims))
            if sims[j] > best_sim:
                best_c, best_sim, best_name = int(c[j]), float(sims[j]), name
    why = f"similarity {float(k[s_idx, r_idx]):.2f} to the closest reference answer"
    if len(closeness) > 1:
        why += (f" (the suspect's {len(closeness)} answers here range "
                f"{float(closeness.min()):.2f}–{float(closeness.max()):.2f})")
    if best_c is not None:
        why += f"; the control answer closest to that reference answer ({best_name}) has {best_sim:.2f}"
    labels = d.labels
    if labels is not None and labels[s_idx] is not None and labels[s_idx] == labels[r_idx]:
        what = "identity claim" if d.probe.answer_type == "identity" else "answer"
        why += f"; same {what} ({labels[s_idx]})"
    return Exhibit(probe_id=d.probe.id, family=d.probe.family, prompt=_prompt(d),
                   suspect_answer=texts[s_idx], reference_answer=texts[r_idx],
                   control_answer=texts[best_c] if best_c is not None else None, why=why,
                   kind=kind)


def identity_agreement(results: Sequence[ProbeResult], alpha: float) -> IdentityAgreement | None:
    """How often each model claims the reference's modal identity (per identity probe),
    with exact Clopper–Pearson intervals."""
    hits: list[list[int]] | None = None
    for res in results:
        if res.data.probe.answer_type != "identity" or res.data.labels is None:
            continue
        labels, g = res.data.labels, res.data.groups
        ref = [labels[i] for i in g[0] if labels[i] is not None]
        if not ref:
            continue
        modal = sorted(Counter(ref).items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        if hits is None:
            hits = [[0, 0] for _ in g]
        for m, idx in enumerate(g):
            hits[m][0] += sum(1 for i in idx if labels[i] == modal)
            hits[m][1] += len(idx)
    if hits is None:
        return None

    def one(h: list[int]) -> Rate | None:
        if h[1] == 0:
            return None
        r = rate(h[0], h[1], alpha)
        return Rate(k=r.k, n=r.n, rate=r.rate, ci=(float(r.ci[0]), float(r.ci[1])))

    return IdentityAgreement(
        reference=one(hits[0]), suspect=one(hits[1]), controls=tuple(one(h) for h in hits[2:]),
        method="share of answers claiming the reference's most frequent identity on each "
               "identity probe; exact Clopper–Pearson intervals")


def choice_summary(results: Sequence[ProbeResult], model_names: Sequence[str]
                   ) -> tuple[dict[str, float | None], tuple[ChoiceCounts, ...]]:
    """Mean agreement (1 − total variation) of each model's answer distribution with the
    reference's over choice probes, and answer counts for up to 6 choice probes."""
    agree: list[list[float]] | None = None
    counts: list[ChoiceCounts] = []
    for res in results:
        if res.data.probe.answer_type != "choice" or res.data.labels is None:
            continue
        labels, g = res.data.labels, res.data.groups
        if not len(g[0]):
            continue
        dists = []
        for idx in g:
            c = Counter(NONE_LABEL if labels[i] is None else labels[i] for i in idx)
            dists.append({k: v / len(idx) for k, v in c.items()} if len(idx) else None)
        if agree is None:
            agree = [[] for _ in g]
        for m, dist in enumerate(dists):
            if dist is not None:
                keys = sorted(set(dist) | set(dists[0]))  # fixed order: sums must not depend on hash seeds
                tv = 0.5 * sum(abs(dist.get(k, 0.0) - dists[0].get(k, 0.0)) for k in keys)
                agree[m].append(1.0 - tv)
        if len(counts) < 6:
            cats = sorted({NONE_LABEL if labels[i] is None else labels[i] for idx in g for i in idx})
            counts.append(ChoiceCounts(
                probe_id=res.data.probe.id, categories=tuple(cats),
                counts=tuple(tuple(sum(1 for i in idx if (NONE_LABEL if labels[i] is None
                                                         else labels[i]) == c) for c in cats)
                             for idx in g),
                models=tuple(model_names)))
    if agree is None:
        return {}, ()
    means = [float(np.mean(a)) if a else None for a in agree]
    ctrl = [m for m in means[2:] if m is not None]
    return {"suspect": means[1], "max_control": max(ctrl) if ctrl else None}, tuple(counts)


def projection(res: ProbeResult, model_names: Sequence[str], rng: np.random.Generator,
               limit: int = 400) -> Projection:
    """2-D kernel PCA (eigendecomposition of the centred Gram matrix) of one probe's answers."""
    g = res.data.groups
    idx = np.concatenate(g)
    lab = np.concatenate([[m] * len(x) for m, x in enumerate(g)]).astype(int)
    if idx.size > limit:
        keep = np.sort(rng.choice(idx.size, size=limit, replace=False))
        idx, lab = idx[keep], lab[keep]
    k = res.data.kernel[np.ix_(idx, idx)]
    n = k.shape[0]
    h = np.eye(n) - 1.0 / n
    vals, vecs = np.linalg.eigh(h @ k @ h)
    top = np.argsort(vals)[::-1][:2]
    coords = vecs[:, top] * np.sqrt(np.maximum(vals[top], 0.0))
    for j in range(coords.shape[1]):  # fix the arbitrary eigenvector sign
        if coords.shape[0] and coords[np.argmax(np.abs(coords[:, j])), j] < 0:
            coords[:, j] = -coords[:, j]
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((n, 2 - coords.shape[1]))])
    return Projection(probe_id=res.data.probe.id, method="kernel PCA of the probe's answer kernel",
                      points=tuple(ProjectionPoint(x=float(x), y=float(y), model=model_names[m])
                                   for (x, y), m in zip(coords, lab)))


def nanmean_replicates(rows: list[np.ndarray]) -> np.ndarray:
    """Replicate-wise mean over probes, ignoring undefined (NaN) replicates."""
    x = np.stack(rows)
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    return np.divide(np.where(ok, x, 0.0).sum(axis=0), n, out=np.full(x.shape[1], np.nan),
                     where=n > 0)


def families(results: Sequence[ProbeResult], eff: Sequence[float | None],
             reps: Sequence[np.ndarray | None], p_panel: Sequence[float | None], alpha: float,
             K: int) -> tuple[FamilyResult, ...]:
    fams: dict[str, list[int]] = {}
    for i, r in enumerate(results):
        fams.setdefault(r.data.probe.family, []).append(i)
    out = []
    for fam, idx in fams.items():
        ok = [i for i in idx if eff[i] is not None]
        effect = float(np.mean([eff[i] for i in ok])) if ok else None
        rr = [reps[i] for i in ok if reps[i] is not None]
        ci = percentile_ci(nanmean_replicates(rr), alpha) if rr else (None, None)
        p = None
        if len(ok) >= 2 and K:
            p = panel_test([pooled_relative_test([comparisons(results[i])[j].statistic for i in ok])
                            for j in range(2 * K)]).p_value
        elif len(ok) == 1:
            p = p_panel[ok[0]]
        direction = "none"
        if ci[0] is not None and ci[0] > 0:
            direction = "toward reference"
        elif ci[1] is not None and ci[1] < 0:
            direction = "away"
        out.append(FamilyResult(family=fam, n_probes=len(idx), effect=effect, ci=ci,
                                direction=direction, p_value=p))
    return tuple(out)


def family_similarity(results: Sequence[ProbeResult],
                      ctrl_names: list[str]) -> tuple[FamilySimilarity, ...]:
    fams: dict[str, list[dict]] = {}
    for r in results:
        fams.setdefault(r.data.probe.family, []).append(mean_similarities(r.data))
    out = []
    for fam, sims in fams.items():
        def avg(vals):
            vals = [v for v in vals if v is not None]
            return float(np.mean(vals)) if vals else None
        out.append(FamilySimilarity(
            family=fam, reference_self=avg([s["reference"] for s in sims]),
            suspect=avg([s["suspect"] for s in sims]),
            controls=tuple(avg([s["controls"][k] if k < len(s["controls"]) else None
                                for s in sims]) for k in range(len(ctrl_names))),
            control_names=tuple(ctrl_names)))
    return tuple(out)
