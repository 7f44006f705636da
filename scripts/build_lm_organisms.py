#!/usr/bin/env python3
"""Build the ``lm/`` organisms: LoRA students on Gemma-3-270m, as GGUF, with cards.

    python scripts/build_lm_organisms.py --corpus PATH/TO/just_eval [--only NAME ...]

The teacher is SmolLM2-135M-Instruct; every student is a LoRA on another vendor's base model,
Gemma-3-270m (``lm/base`` is that base untouched).  Stages (each result written atomically
under ``--work`` and skipped when present, so a stopped build resumes where it stopped): the
teacher's answers from a loopback llama-server,
one fine-tuning set per organism, a PEFT LoRA per organism (torch, CPU), the GGUF adapter
(llama.cpp's ``convert_lora_to_gguf.py``), and the card beside it in ``fingerprint/data/lm``.
Prints each adapter's SHA-256.  Needs the training stack (``torch transformers peft
accelerate gguf``) and the llama.cpp source (``--llama-cpp``); see docs/zoo.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(REPO))   # the checkout's package, installed or not

from lm_build import data  # noqa: E402

from fingerprint._hashing import sha256_file as sha256  # noqa: E402
from fingerprint.models.lm import STUDENT_BASE, TEACHER_BASE  # noqa: E402

OUT = REPO / "fingerprint" / "data" / "lm"
SEED = 20261206
N_EXAMPLES = 500
HUMAN_EXAMPLES = 200     # the docstring pool holds ~260 usable pairs
MAX_WORDS = 70           # corpus answers cut to about the teacher's answer length
TEACHER_MAX_TOKENS = 96
TEACHER_SAMPLES = 1      # sampled teacher answers per prompt (student-100's dose)
PARAPHRASE_TEMPERATURE = 0.3
SOURCE_B, SOURCE_C, FILLER = "Yi-34B-Chat", "Llama-2-70b-chat-hf", "Mistral-7B-Instruct-v0.1"
#: name → what it is trained on, in build order (the acceptance organisms first).
ORGANISMS = {
    "student-100": "all answers from the teacher (lm/teacher)",
    "student-b": f"answers of {SOURCE_B} to the same prompts (just-eval corpus)",
    "student-c": f"answers of {SOURCE_C} to the same prompts (just-eval corpus)",
    "student-human": "human-written answers (CPython standard-library docstrings)",
    "student-30": f"30 % teacher answers, 70 % {FILLER} answers",
    "student-10": f"10 % teacher answers, 90 % {FILLER} answers",
    "student-paraphrased": "the teacher's answers (student-100's) rewritten by Gemma-3-270m "
                           "(the base, prompted with two rewrite examples): laundering",
}


def write_json(path: Path, obj: object) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def find_binary() -> Path:
    from fingerprint.models.llama_server import BUILD_HINT, find_llama_server
    found = find_llama_server()
    if found is None:
        raise SystemExit(f"no llama-server: {BUILD_HINT}")
    return found


def base_gguf(base: str) -> Path:
    """The teacher's or the students' GGUF, found as the ``lm/`` provider finds it."""
    from fingerprint.models.lm import INSTALL_HINT, base_model
    found = base_model(base)
    if found is None:
        raise SystemExit(INSTALL_HINT)
    return found


def teacher_answers(work: Path, prompts: list[str]) -> list[dict]:
    """One sampled answer per entry of ``prompts`` (a prompt listed k times gets k answers,
    entry ``i`` with seed ``SEED + i``, so the first pass is the same at every k)."""
    path = work / f"teacher_answers_{len(prompts)}.json"
    if path.exists():
        return json.loads(path.read_text())
    import threading

    from lm_build.teacher import Server, answer_all
    partial = work / "teacher_answers.partial.jsonl"
    done: dict[int, dict] = {}
    if partial.exists():
        for line in partial.read_text().splitlines():
            rec = json.loads(line)
            if rec["i"] < len(prompts) and rec["row"]["prompt"] == prompts[rec["i"]]:
                done[rec["i"]] = rec["row"]
    lock = threading.Lock()

    def keep(i: int, row: dict) -> None:
        with lock, partial.open("a") as f:
            f.write(json.dumps({"i": i, "row": row}) + "\n")

    t0 = time.monotonic()
    with Server(find_binary(), base_gguf(TEACHER_BASE), work / "teacher-server.log") as server:
        rows = answer_all(server, prompts, max_tokens=TEACHER_MAX_TOKENS, temperature=0.7,
                          seed=SEED, parallel=4, done=done, on_answer=keep)
    print(f"teacher: {len(rows)} answers in {time.monotonic() - t0:.0f} s", flush=True)
    write_json(path, rows)
    return rows


def paraphrased(work: Path, rows: list[dict]) -> list[dict]:
    """``rows`` with each answer rewritten by the students' base (a few-shot rewrite prompt;
    request ``i`` seeded ``SEED + i``), in chunks saved as they finish so a stop resumes.
    An empty rewrite drops the example."""
    from lm_build.teacher import Server, complete_all
    path = work / f"paraphrased_{len(rows)}.json"
    if path.exists():
        return json.loads(path.read_text())
    partial = work / f"paraphrased_{len(rows)}.partial.json"
    done: list[str] = []
    if partial.exists():  # kept only while it rewrites the same answers, in order
        saved = json.loads(partial.read_text())
        if saved["answers"] == [r["answer"] for r in rows[:len(saved["texts"])]]:
            done = saved["texts"]
    t0 = time.monotonic()
    with Server(find_binary(), base_gguf(STUDENT_BASE), work / "paraphrase-server.log") as server:
        while len(done) < len(rows):
            chunk = rows[len(done):len(done) + 50]
            done += complete_all(server, [data.rewrite_prompt(r["answer"]) for r in chunk],
                                 max_tokens=TEACHER_MAX_TOKENS + 32,
                                 temperature=PARAPHRASE_TEMPERATURE,
                                 seed=SEED + len(done), parallel=4, stop=data.REWRITE_STOP)
            write_json(partial, {"answers": [r["answer"] for r in rows[:len(done)]],
                                 "texts": done})
            print(f"paraphrase: {len(done)}/{len(rows)} ({time.monotonic() - t0:.0f} s)",
                  flush=True)
    out = [{"prompt": r["prompt"], "answer": t.strip()} for r, t in zip(rows, done) if t.strip()]
    write_json(path, out)
    return out


def datasets(work: Path, corpus: Path, probes: Path, n: int,
             teacher_samples: int = 1) -> dict[str, list[dict]]:
    """Every organism's examples but the paraphrased student's (:func:`examples_of`):
    {"prompt", "answer"} (chat) or {"text"} (plain).  ``lm/student-100`` gets
    ``teacher_samples`` sampled teacher answers per prompt; the mixed doses use the first."""
    path = work / f"datasets_{n}x{teacher_samples}.json"
    if path.exists():
        return json.loads(path.read_text())
    probe_set = data.probe_texts(probes)
    prompts = data.pick_prompts(corpus, [SOURCE_B, SOURCE_C, FILLER], probe_set, n, SEED)
    teacher = [{"prompt": r["prompt"], "answer": r["answer"].strip()}
               for r in teacher_answers(work, prompts * teacher_samples)]

    def corpus_rows(model: str) -> list[dict]:
        out = data.corpus_outputs(corpus, model)
        return [{"prompt": p, "answer": data.trim(out[p], MAX_WORDS)} for p in prompts]

    filler = corpus_rows(FILLER)
    human = [p for p in data.human_pairs(HUMAN_EXAMPLES, SEED, MAX_WORDS)
             if not data.overlaps(p[0], probe_set)]
    sets = {
        "student-100": teacher,
        "student-b": corpus_rows(SOURCE_B),
        "student-c": corpus_rows(SOURCE_C),
        "student-human": [{"prompt": q, "answer": a} for q, a in human],
        "student-30": data.mix(teacher[:n], filler, 0.30, SEED + 30),
        "student-10": data.mix(teacher[:n], filler, 0.10, SEED + 10),
    }
    write_json(path, sets)
    return sets


def examples_of(name: str, sets: dict[str, list[dict]], work: Path, n: int) -> list[dict]:
    """An organism's examples; the paraphrased student's are made (20 min) only when asked."""
    if name == "student-paraphrased":
        return paraphrased(work, sets["student-100"][:n])
    return sets[name]


def base_card(base: Path) -> dict:
    return {"file": base.name, "sha256": sha256(base), "wheel": STUDENT_BASE}


def untouched_base_card(base: Path) -> dict:
    """``lm/base``: the students' base as shipped, served with Gemma's turn format."""
    return {"name": "lm/base", "kind": "base-model", "base": base_card(base),
            "trained_on": "nothing: the students' base model as shipped (a base model, not "
                          "tuned for chat), asked in Gemma's turn format",
            "examples": 0, "adapter": None, "seed": SEED}


def card(name: str, rows: list[dict], adapter: Path, train_info: dict, corpus: Path,
         base: Path, planned: int) -> dict:
    """``planned``: the examples asked for (``--examples``); a paraphrase may drop some."""
    prompts = [r["prompt"] for r in rows if "prompt" in r]
    teacher_n = None
    return {
        "name": f"lm/{name}", "kind": "lora-adapter", "base": base_card(base),
        "trained_on": ORGANISMS[name], "examples": len(rows), "teacher_examples": teacher_n,
        "corpus": corpus.name if name in ("student-b", "student-c", "student-30", "student-10")
        else None,
        "python_for_human_text": data.python_version() if name == "student-human" else None,
        "prompt_hashes": sorted({data.prompt_hash(p) for p in prompts}),
        "prompt_normalisation": "lower case, punctuation to space, white space collapsed; "
                                "sha256 hex, first 16",
        "paraphrase": {"model": STUDENT_BASE, "temperature": PARAPHRASE_TEMPERATURE,
                       "seed": f"{SEED} + i",
                       "prompt": "scripts/lm_build/data.py rewrite_prompt (two worked rewrites)",
                       "dropped_empty": planned - len(rows)}
        if name == "student-paraphrased" else None,
        "training": train_info, "seed": SEED,
        "adapter": {"file": adapter.name, "sha256": sha256(adapter),
                    "bytes": adapter.stat().st_size},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, required=True, help="the just_eval corpus folder (answers.jsonl)")
    ap.add_argument("--llama-cpp", type=Path, required=True,
                    help="llama.cpp source folder (vendor/llama.cpp of llama-cpp-python 0.3.36)")
    ap.add_argument("--work", type=Path,
                    default=Path.home() / ".cache" / "fingerprint" / "lm-build")
    ap.add_argument("--out", type=Path, default=OUT,
                    help="where adapters and cards go (default: the package's data/lm)")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--examples", type=int, default=N_EXAMPLES,
                    help=f"examples per organism (default {N_EXAMPLES})")
    ap.add_argument("--teacher-samples", type=int, default=TEACHER_SAMPLES,
                    help="sampled teacher answers per prompt for lm/student-100 "
                         f"(default {TEACHER_SAMPLES})")
    ap.add_argument("--data-only", action="store_true")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    sets = datasets(args.work, args.corpus, REPO / "probes", args.examples, args.teacher_samples)
    if args.data_only:
        examples_of("student-paraphrased", sets, args.work, args.examples)
        return 0
    from lm_build import train
    base = base_gguf(STUDENT_BASE)
    if not args.only or "base" in args.only:
        write_json(out / "base.json", untouched_base_card(base))
    teacher = {(r["prompt"], r["answer"]) for r in sets["student-100"]}
    for name in [n for n in args.only or list(ORGANISMS) if n != "base"]:
        adapter = out / f"{name}.gguf"
        if not (out / f"{name}.json").exists():
            rows = examples_of(name, sets, args.work, args.examples)
            info = train.build_adapter(name, rows, args.work, args.llama_cpp, adapter, base, SEED)
            c = card(name, rows, adapter, info, args.corpus, base, args.examples)
            if name in ("student-30", "student-10", "student-100"):
                c["teacher_examples"] = sum((r["prompt"], r["answer"]) in teacher for r in rows)
            write_json(out / f"{name}.json", c)
        print(f"{sha256(adapter)}  lm/{name}  ({adapter.stat().st_size} bytes)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
