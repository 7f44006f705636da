"""The lineage statistic under the stress splits of docs/corpora.md ("Development protocol"),
on every corpus with labelled pairs: prompt subsets of 80 and 200 (3 seeds each) and all
prompts; control panels with known relatives removed (the default) and with same-lineage
siblings kept.  On all prompts, a null check (``fingerprint.calibration.null_check``): the
p-values of every model pair with no documented relation, against the bound a valid test
obeys, on every such pair and on those with a wide panel (where ``compare`` decides by it).  Each panel's inner
products are computed once and every variant is scored on them, so variants are compared on
identical data.

    python benchmarks/corpus_splits.py CORPORA_DIR [--variants mean+t,mean] [--out DIR]

``CORPORA_DIR`` holds ``alpaca_eval/``, ``just_eval/``, ``zeroeval_gsm8k/`` and
``self_instruct_252/`` as shipped.  Prints one row per corpus, split and variant, and each
variant's worst split; writes ``OUT/corpus_splits.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Sequence

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


from fingerprint.analysis import WIDE_PANEL  # noqa: E402
from fingerprint.calibration import (null_pvalues, prepare_panel,  # noqa: E402
                                     read_labelled, related_by_facts, related_models,
                                     score_pairs)
from fingerprint.corpus import load_corpus  # noqa: E402
from power import without_locations  # noqa: E402

#: corpus -> (its path under CORPORA_DIR, its pairs files)
CORPORA = {
    "alpaca_eval": ("alpaca_eval", ("pairs.json", "pairs-shared-lineage.json")),
    "just_eval": ("just_eval/answers.jsonl", ("pairs.json",)),
    "zeroeval_gsm8k": ("zeroeval_gsm8k/answers.jsonl", ("pairs.json",)),
    "self_instruct_252": ("self_instruct_252/answers.jsonl", ("pairs.json",)),
}
#: (name, max_prompts or None for all, seed)
PROMPT_SPLITS = [("all", None, 0)] + [(f"{n} prompts s{s}", n, s)
                                      for n in (80, 200) for s in (1, 2, 3)]
FIGURES = ("auc_teacher_student_vs_independent", "tpr_teacher_student_at_fpr_0.05",
           "tpr_teacher_student_at_fpr_0.01", "auc_same_model_vs_independent",
           "auc_teacher_student_vs_shared_lineage")
#: the acceptance figures a split is judged by (docs/corpora.md): worst = lowest of these
JUDGED = ("auc_teacher_student_vs_independent", "tpr_teacher_student_at_fpr_0.05")
STYLE_WORDS = 100  # variants 8 and 9: the corpus's most frequent words count as style
TOKEN = re.compile(r"\w+|[^\w\s]")  # the lineage score's tokens (analysis._lineage)
EMPTY_PART = "∅"  # one non-word token: what an answer without style (content) tokens becomes


def style_vocabulary(token_lists: Iterable[list[str]]) -> set[str]:
    """The ``STYLE_WORDS`` words the most token lists hold (document frequency): function
    words, chosen by the answers, not by the labels."""
    df = Counter(t for toks in token_lists for t in set(toks) if t.isalnum())
    return {t for t, _ in df.most_common(STYLE_WORDS)}


def is_style(token: str, vocabulary: set[str]) -> bool:
    """Style tokens: punctuation and markup, and the words of ``vocabulary``."""
    return token in vocabulary or not token.isalnum()


def reduced_corpus(data: Any, part: str) -> Any:
    """``data`` with every answer reduced to its ``"style"`` tokens (:func:`is_style`) or its
    ``"content"`` tokens (every other word); variants 8 and 9 of docs/corpora.md."""
    tokens = {m: {pid: [TOKEN.findall(a.lower()) for a in answers]
                  for pid, answers in by_prompt.items()} for m, by_prompt in data.answers.items()}
    style = style_vocabulary(toks for by_prompt in tokens.values()
                             for answers in by_prompt.values() for toks in answers)
    keep_style = part == "style"

    def reduce(toks: list[str]) -> str:
        # an answer with no such token becomes EMPTY_PART, so the reduced corpus keeps the
        # same shared prompts (and prompt subsets) as the original
        kept = [t for t in toks if is_style(t, style) == keep_style]
        return " ".join(kept) or (EMPTY_PART if toks else "")

    answers = {m: {pid: [reduce(toks) for toks in answers] for pid, answers in by_prompt.items()}
               for m, by_prompt in tokens.items()}
    return dataclasses.replace(data, answers=answers)


def truncated_corpus(data: Any, k: int) -> Any:
    """``data`` with every answer cut after its first ``k`` tokens (the lineage score's
    tokens), the text up to there kept as it was: variant 11 of docs/corpora.md."""
    def cut(text: str) -> str:
        ends = [m.end() for m in itertools.islice(TOKEN.finditer(text), k)]
        return text[:ends[-1]] if len(ends) == k else text

    answers = {m: {pid: [cut(a) for a in answers] for pid, answers in by_prompt.items()}
               for m, by_prompt in data.answers.items()}
    return dataclasses.replace(data, answers=answers)


def transformed(data: Any, opts: dict[str, Any]) -> Any:
    """The corpus a variant is scored on: as read, style tokens only, or truncated."""
    if opts["style"]:
        return reduced_corpus(data, "style")
    return truncated_corpus(data, opts["truncate"]) if opts["truncate"] else data


def run(corpora_dir: Path, variants: Sequence[str], corpora: Sequence[str],
        nulls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every corpus x split x variant's figures; the null check of each variant on all
    prompts is appended to ``nulls``."""
    rows = []
    for name in corpora:
        path, pair_files = CORPORA[name]
        labelled = read_labelled([str(corpora_dir / name / f) for f in pair_files])
        data = load_corpus(str(corpora_dir / path))
        texts: dict[tuple[bool, int | None], Any] = {}
        for v in variants:
            if _text_key(v) not in texts:
                texts[_text_key(v)] = transformed(data, options(v))
        for split, n, seed in PROMPT_SPLITS:
            t0 = time.perf_counter()
            prepared = {key: prepare_panel(d, seed=seed, max_prompts=n) for key, d in texts.items()}
            panels = {v: prepared[_text_key(v)] for v in variants}
            if n is None:
                for variant in variants:
                    nulls += [{"corpus": name, "split": split, "variant": variant, **row}
                              for row in null_rows(panels[variant], labelled, variant)]
            for keep in (False, True):
                if keep and n is not None:
                    continue  # siblings kept: on all prompts only
                for variant in variants:
                    panel = panels[variant]
                    res = score_pairs(panel, labelled, keep_siblings=keep,
                                      **rule(variant, panel, labelled, keep))
                    rows.append({"corpus": name, "split": split + (", siblings kept" if keep else ""),
                                 "prompts": res["n_prompts"], "variant": variant,
                                 "counts": res["counts"],
                                 "decided": sum(r["verdict"] in ("distilled", "independent")
                                                for r in res["pairs"]),
                                 **{k: res["summary"][k] for k in FIGURES}})
            print(f"{name} {split}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return rows


def null_rows(panel: Any, labelled: list[dict[str, Any]], variant: str) -> list[dict[str, Any]]:
    """The variant's null check (fingerprint.calibration.null_pvalues) on every undocumented pair,
    and on the pairs with a wide panel only (WIDE_PANEL controls: where compare decides by it)."""
    pairs = null_pvalues(panel, labelled, **rule(variant, panel, labelled))
    return [{"panels": "all", **pairs.check().to_json()},
            {"panels": f"{WIDE_PANEL}+ controls", **pairs.check(WIDE_PANEL).to_json()}]


def _text_key(variant: str) -> tuple[bool, int | None]:
    opts = options(variant)
    return opts["style"], opts["truncate"]


def options(variant: str) -> dict[str, Any]:
    """``score_pairs`` options of a variant name: a similarity pooling (``mean``, ``rank``),
    then ``+exch`` (the exchangeable baseline), ``+t`` (the predictive-t decision) and/or
    ``+lin`` (one control per documented lineage) or ``+w`` (controls weighted by lineage),
    ``+reg`` (relatives from the lineage registry too, see :func:`rule`), ``+sty`` (scored
    on style tokens, :func:`reduced_corpus`) or ``+lenK`` (answers cut after K tokens,
    :func:`truncated_corpus`), ``+dyad`` (the panel's other unrelated pairs as the null) or
    ``+pool`` (the controls' spread pooled over every reference of the panel)."""
    pooling, *extras = variant.split("+")
    lengths = [int(e[3:]) for e in extras if re.fullmatch(r"len[1-9]\d*", e)]
    known = {"exch", "t", "lin", "w", "reg", "sty", "dyad", "pool"} | {f"len{k}" for k in lengths}
    unknown = set(extras) - known
    if (unknown or len(lengths) > 1 or (lengths and "sty" in extras)
            or {"dyad", "pool"} <= set(extras)):
        raise SystemExit(f"unknown or conflicting variant part(s) in {variant!r}")
    return {"similarity_pooling": pooling, "exchangeable": "exch" in extras,
            "decision": "t" if "t" in extras else "rank", "per_lineage": "lin" in extras,
            "lineage_weighted": "w" in extras, "registry": "reg" in extras,
            "null_model": ("dyads" if "dyad" in extras else "pooled" if "pool" in extras
                           else "controls"),
            "style": "sty" in extras, "truncate": lengths[0] if lengths else None}


def rule(variant: str, panel: Any, labelled: list[dict[str, Any]],
         keep_siblings: bool = False) -> dict[str, Any]:
    """The scoring options of a variant on ``panel``: with ``+reg`` the relatives (excluded,
    and grouped by ``+w``) are those the lineage registry knows as well as the documented ones,
    as ``compare`` would see them given the documented relations in a case file."""
    opts = options(variant)
    opts.pop("style"), opts.pop("truncate")  # which panel: run() picks it
    if opts.pop("registry"):
        documented = related_models([q for q in labelled
                                     if not (keep_siblings and q["label"] == "shared_lineage")])
        known = related_by_facts(panel.models)
        opts["related"] = {m: documented.get(m, {m}) | known[m] for m in panel.models}
    return opts


def worst(rows: Sequence[dict[str, Any]], variant: Any, field: str = "variant"
          ) -> dict[str, Any]:
    """Per judged figure, the lowest value over every corpus and split of the rows whose
    ``field`` is ``variant``."""
    mine = [r for r in rows if r[field] == variant]
    out = {}
    for k in JUDGED:
        scored = [r for r in mine if r[k] is not None]
        if scored:
            w = min(scored, key=lambda r: r[k])
            out[k] = {"value": w[k], "corpus": w["corpus"], "split": w["split"]}
    return out


def leave_one_out(rows: Sequence[dict[str, Any]], grid: Sequence[Any],
                  corpora: Sequence[str], field: str = "variant") -> dict[str, Any]:
    """Per corpus, the value of ``grid`` (in the rows' ``field``) whose worst split over the
    *other* corpora is best (highest worst AUC, ties by the highest worst TPR, then the first
    in ``grid``), with those worst figures (``other_worst``), and that corpus's rows scored
    with it; ``worst`` is over the rows so chosen."""
    def other_worst(held: str, v: Any) -> tuple[float, ...]:
        w = worst([r for r in rows if r["corpus"] != held], v, field)
        return tuple(w[k]["value"] if k in w else -1.0 for k in JUDGED)

    chosen = {c: max(grid, key=lambda v: (other_worst(c, v), -list(grid).index(v)))
              for c in corpora}
    picked = [dict(r, **{field: "loco"}) for r in rows if chosen.get(r["corpus"]) == r[field]]
    return {"grid": list(grid), "chosen": chosen,
            "other_worst": {c: dict(zip(JUDGED, other_worst(c, v))) for c, v in chosen.items()},
            "worst": worst(picked, "loco", field), "rows": picked}


def _f(v: Any) -> str:
    return "  —  " if v is None else f"{v:.3f}"


def format_rows(rows: list[dict[str, Any]], variants: Sequence[str]) -> str:
    lines = [f"{'corpus':<18} {'split':<28} {'variant':<7} {'AUC ts/ind':>10} {'TPR@5%':>7} "
             f"{'TPR@1%':>7} {'AUC same':>8} {'AUC ts/shared':>13}"]
    for r in rows:
        lines.append(f"{r['corpus']:<18} {r['split']:<28} {r['variant']:<7} "
                     f"{_f(r['auc_teacher_student_vs_independent']):>10} "
                     f"{_f(r['tpr_teacher_student_at_fpr_0.05']):>7} "
                     f"{_f(r['tpr_teacher_student_at_fpr_0.01']):>7} "
                     f"{_f(r['auc_same_model_vs_independent']):>8} "
                     f"{_f(r['auc_teacher_student_vs_shared_lineage']):>13}")
    for v in variants:
        for k, w in worst(rows, v).items():
            lines.append(f"worst {v} {k}: {w['value']:.3f} ({w['corpus']}, {w['split']})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", type=Path, help="folder holding the shared corpora")
    ap.add_argument("--variants", default="mean+t,mean",
                    help="variants to score: a similarity pooling (mean, rank), with +exch for "
                         "the exchangeable baseline, +t for the predictive-t decision (mean+t is "
                         "the shipped rule, mean the rank rule before 0.3.0), +lin for one "
                         "control per lineage, +w for controls weighted by lineage, +reg for "
                         "relatives from the lineage registry too, +sty for style tokens only, "
                         "+lenK for answers cut after K tokens")
    ap.add_argument("--only", default=",".join(CORPORA), help="corpora to run")
    ap.add_argument("--loco", help="variants (of --variants) to choose among leave one corpus "
                    "out, e.g. mean+t,mean+t+len64")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "corpus_splits")
    args = ap.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    grid = [v for v in (args.loco or "").split(",") if v]
    if not set(grid) <= set(variants):
        raise SystemExit("--loco takes variants that --variants scores")
    started = time.perf_counter()
    nulls: list[dict[str, Any]] = []
    rows = run(args.corpora, variants, [c for c in args.only.split(",") if c], nulls)
    print(format_rows(rows, variants))
    for nc in nulls:
        levels = "  ".join(f"p<={t}: {v['observed']:.3f} (exact ≤ {v['exact_bound']:.3f} "
                           f"+ {v['tolerance']:.3f})" for t, v in nc["levels"].items())
        verdict = ("no pairs" if nc["failures"] is None else
                   f"below uniform at {', '.join(nc['failures'])}" if nc["failures"] else "passes")
        print(f"null {nc['corpus']} {nc['variant']} ({nc['panels']}): {nc['pairs']} pairs, "
              f"median {nc['controls_median']} controls  {levels}  {verdict}")
    loco = leave_one_out(rows, grid, [c for c in args.only.split(",") if c]) if grid else None
    if loco:
        print("leave one corpus out: " + ", ".join(f"{c} {v}" for c, v in loco["chosen"].items()))
        for k, w in loco["worst"].items():
            print(f"worst loco {k}: {w['value']:.3f} ({w['corpus']}, {w['split']})")
    args.out.mkdir(parents=True, exist_ok=True)
    words = without_locations(sys.argv[2:] if argv is None else list(argv)[1:])
    result = {"command": "python benchmarks/corpus_splits.py CORPORA " + " ".join(words),
              "splits": [s for s, _, _ in PROMPT_SPLITS] + ["all, siblings kept"],
              "rows": rows, "worst": {v: worst(rows, v) for v in variants}, "null_check": nulls,
              "leave_one_out": loco,
              "runtime_s": round(time.perf_counter() - started, 1)}
    (args.out / "corpus_splits.json").write_text(json.dumps(result, indent=1) + "\n",
                                                 encoding="utf-8")
    print(f"runtime {result['runtime_s']:.0f} s; wrote {args.out / 'corpus_splits.json'}")


if __name__ == "__main__":
    main()
