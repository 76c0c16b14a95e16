"""Text embeddings: the embedder protocol, the sentence-transformers adapter, a deterministic fake and
the store-backed cache. Models are loaded from local folders, never downloaded.

May import: ``core``, ``store``, ``indices``.
"""
