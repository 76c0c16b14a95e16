"""The embedder the settings name, built without loading anything heavy (models load on first use)."""

from __future__ import annotations

from matcher.core.settings import MatcherSettings
from matcher.embedding.hashing import HashingEmbedder
from matcher.embedding.protocol import Embedder


def open_embedder(settings: MatcherSettings) -> Embedder:
    """ONNX Runtime by default; sentence-transformers (torch) or the hashing stand-in when the settings say."""
    if settings.embedder == "hashing":
        return HashingEmbedder()
    if settings.embedder == "sentence-transformers":
        from matcher.embedding.transformer import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(
            settings.model_path,
            batch_size=settings.embedding_batch_size or 32,
            threads=settings.embedding_threads,
            precision=settings.embedding_precision,
            max_seq_length=settings.embedding_max_tokens,
        )
    from matcher.embedding.onnx import OnnxEmbedder

    return OnnxEmbedder(
        settings.onnx_model,
        batch_size=settings.embedding_batch_size or 1,
        threads=settings.embedding_threads,
        max_seq_length=settings.embedding_max_tokens,
    )
