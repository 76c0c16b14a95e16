"""The sentence-transformers adapter: the model loads lazily, once per process, from a local folder."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matcher.embedding.protocol import Matrix, Progress


def folder_dims(model_path: str) -> int | None:
    """The vector size a sentence-transformers folder declares (its Pooling module's config), or None."""
    folder = Path(model_path)
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        pooling = next(m for m in modules if m.get("type", "").endswith(".Pooling"))
        config = json.loads((folder / pooling["path"] / "config.json").read_text(encoding="utf-8"))
        return int(config["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, StopIteration):
        return None


DEFAULT_MAX_SEQ_LENGTH = 512  # as the shipped ONNX export: MiniLM's whole window


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model folder), on the CPU, without network."""

    def __init__(
        self,
        model_path: str,
        *,
        batch_size: int = 32,
        threads: int | None = None,
        max_seq_length: int | None = None,
        precision: str = "fp32",
    ) -> None:
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be fp32 or bf16, not {precision!r}")
        self.precision = precision
        self.model_path = model_path
        self.batch_size = batch_size
        self.threads = threads
        self.max_seq_length = max_seq_length or DEFAULT_MAX_SEQ_LENGTH
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"{os.path.basename(self.model_path.rstrip('/'))}:{self.max_seq_length}:{self.precision}"

    @property
    def dims(self) -> int:
        """Read from the folder's pooling config when it says (no model load), else from the loaded model."""
        known = folder_dims(self.model_path)
        if known is not None:
            return known
        model = self._load()
        # sentence-transformers 5.2 renamed the method; keep both spellings working.
        size = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(size())

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer

                if self.threads:
                    torch.set_num_threads(self.threads)
                model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
                model.max_seq_length = self.max_seq_length
                if self.precision == "bf16":
                    model = model.to(torch.bfloat16)
                self._model = model
            return self._model

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Matrix:
        model = self._load()
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        # Sorting by length keeps padding low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = self.batch_size * 4
        for start in range(0, len(order), step):
            chunk = order[start : start + step]
            out[chunk] = model.encode(
                [texts[i] for i in chunk],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(min(start + step, len(order)), len(order))
        # Normalise again in float32: bf16 inference leaves norms a few 1e-3 away from 1.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)
