"""Text embeddings: the embedder protocol, the ONNX Runtime embedder (the default: int8, no torch) and its
export, the sentence-transformers adapter (torch, the ``train`` group), a deterministic fake and the
store-backed cache. Models are loaded from local folders, never downloaded.

May import: ``core``, ``store``, ``indices``.
"""
