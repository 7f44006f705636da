"""Hub dataset ids: fetch the files of a Hugging Face dataset repo, then read them locally.

``huggingface_hub`` ships with ``datasets``.  The download lands in the user's Hugging Face
cache; the files are then read by the same layout loaders as a local path.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CorpusError


def fetch_hub_files(dataset_id: str) -> Path:
    """Download the dataset repo's JSON/JSONL files; return the local folder."""
    if dataset_id.count("/") != 1 or dataset_id.startswith((".", "/", "~")):
        raise CorpusError(f"corpus {dataset_id!r} is neither an existing path nor a Hub dataset "
                          "id (OWNER/NAME); check the path")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise CorpusError("reading a Hub dataset needs the 'datasets' package "
                          "(pip install datasets)") from None
    try:
        local = snapshot_download(repo_id=dataset_id, repo_type="dataset",
                                  allow_patterns=["*.json", "*.jsonl", "**/*.json", "**/*.jsonl"])
    except Exception as exc:  # network, auth, missing repo: one clear line
        raise CorpusError(f"cannot fetch Hub dataset {dataset_id!r} ({exc.__class__.__name__}); "
                          "check the id and your network, or download it and pass the path") from None
    return Path(local)
