"""Does the teacher's mark show on prompts like those the ``lm/`` students were distilled on?

Every organism answers the next ``--prompts`` just-eval instructions of the build's own seeded
shuffle (entries 500 onward of ``pick_prompts``' list: eligible by the build's rule, never
trained on; checked against every card's prompt hashes), ``--samples`` answers each at the
suite's free-text settings.  Then ``lm_features.py``'s panel test per suspect, with each
prompt its own cluster (a seeded random sample of a corpus, not hand-written near-copies),
and every student against ``lm/student-human`` alone (trained on no model's answers).
Plan and figures: docs/power.md, "Held-out instructions".

    python benchmarks/lm_heldout.py --corpus PATH/just_eval [--prompts 40] [--skip 0]
                                    [--samples 5] [--students student-100,...] [--store PATH]
                                    [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import build_lm_organisms as build  # noqa: E402  (the build's prompt rule and constants)
import lm_features  # noqa: E402
import lm_power  # noqa: E402
from fingerprint.suite import Probe, Suite  # noqa: E402

DEFAULT_KERNEL = "tfidf"   # compare's embedder: the plan's decision; the others are printed too
HUMAN = "student-human"


def heldout_probes(corpus: Path, n: int, skip: int = 0) -> list[Probe]:
    """``n`` instructions after the ``N_EXAMPLES`` the students were trained on (and after
    ``skip`` more, for a disjoint replication), as probes."""
    ranked = build.data.pick_prompts(corpus, [build.SOURCE_B, build.SOURCE_C, build.FILLER],
                                     build.data.probe_texts(ROOT / "probes"),
                                     build.N_EXAMPLES + skip + n, build.SEED)
    trained = {h for card in build.OUT.glob("*.json")
               for h in json.loads(card.read_text()).get("prompt_hashes") or []}
    if {build.data.prompt_hash(p) for p in ranked[:build.N_EXAMPLES]} - trained:
        raise SystemExit("the build's prompt list no longer matches the cards: wrong corpus?")
    held = ranked[build.N_EXAMPLES + skip:]
    if {build.data.prompt_hash(p) for p in held} & trained:
        raise SystemExit("a held-out prompt is on an organism's card")
    return [Probe(id=f"heldout-{skip + i:03d}", family=f"heldout-{skip + i:03d}", version=1,
                  rationale="a just-eval instruction of the build's shuffle, not trained on",
                  messages=({"role": "user", "content": text},), temperature=1.0,
                  max_tokens=96) for i, text in enumerate(held)]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True, help="the just-eval corpus folder")
    ap.add_argument("--prompts", type=int, default=40, help="held-out instructions")
    ap.add_argument("--skip", type=int, default=0,
                    help="held-out instructions to pass over first (a disjoint replication)")
    ap.add_argument("--samples", type=int, default=5, help="answers per prompt and model")
    ap.add_argument("--students", default=",".join([f"student-{d}" for d in lm_power.DOSES]
                                                    + [lm_power.PARAPHRASED]),
                    help="students under test (the no-link organisms always run)")
    ap.add_argument("--store", help="response store (answers are kept and reused)")
    ap.add_argument("--out", type=Path, default=lm_power.RESULTS / "heldout")
    args = ap.parse_args(argv)
    probes = heldout_probes(args.corpus, args.prompts, args.skip)
    suite = Suite(id="lm-heldout-instructions", version="1", probes=tuple(probes),
                  source="just-eval, held out of the lm/ build")
    organisms = [*args.students.split(","), *lm_power.NO_LINK]
    comps = lm_power.comparisons(organisms)
    # the teacher-specific part: every student against the one that never saw a model's answer
    comps += [c for c in lm_power.comparisons(organisms, (HUMAN,)) if c.controls == (HUMAN,)]
    pool = lm_power.collect_pool(lm_power.organisms_of(comps), suite, pool=args.samples,
                                 seed=lm_power.POOL_SEED, store_path=args.store)
    rows = lm_features.run_kernels(pool, probes, comps, args.samples)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lm_heldout.json").write_text(json.dumps(
        {"command": "python benchmarks/lm_heldout.py --corpus PATH/just_eval "
                    f"--prompts {args.prompts} --skip {args.skip} --students {args.students} "
                    f"--samples {args.samples}", "default_kernel": DEFAULT_KERNEL,
         "prompt_hashes": [build.data.prompt_hash(p.messages[0]["content"]) for p in probes],
         "rows": rows},
        indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
