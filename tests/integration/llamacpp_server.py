"""The integration tests' handle on llama-server: the package's own finder and launcher
(`fingerprint.models.llama_server`), re-exported so the tests and the `lm/` provider start
servers the same way.  Nothing here builds or downloads."""

from __future__ import annotations

from fingerprint.models.llama_server import (BUILD_HINT, LLAMA_CPP_PYTHON_VERSION, LlamaServer,
                                             build_cache_dir, find_llama_server, free_port,
                                             gemma3_gguf, smollm2_gguf)

__all__ = ["BUILD_HINT", "LLAMA_CPP_PYTHON_VERSION", "LlamaServer", "build_cache_dir",
           "find_llama_server", "free_port", "gemma3_gguf", "smollm2_gguf"]
