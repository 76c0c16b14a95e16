"""The shipped ONNX int8 export agrees with the torch fp32 model on real texts (mean cosine ≥ 0.99)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.core.settings import REPO_ROOT, MatcherSettings, packaged_model_path
from matcher.demo.samples import demo_candidates, shipped_offers
from matcher.embedding.hashing import HashingEmbedder
from matcher.embedding.onnx import OnnxEmbedder
from matcher.embedding.transformer import SentenceTransformerEmbedder
from matcher.indexing.documents import candidate_text
from matcher.runtime import Runtime

pytestmark = pytest.mark.model


def real_texts(data_dir: Path) -> dict[str, list[str]]:
    """Shipped offers (titles, and long title + description) and ROME-derived profiles."""
    offers = list(shipped_offers(REPO_ROOT / "data"))[::7][:120]
    rt = Runtime.open(MatcherSettings(data_dir=data_dir, embedder="hashing"), embedder=HashingEmbedder())
    try:
        profiles = [candidate_text(p, rt.taxonomy) for _, p, _ in demo_candidates(rt, 120)]
    finally:
        rt.close()
    return {
        "titles": [o["title"] for o in offers],
        "offers": [f"{o['title']}. {o['description']}" for o in offers],
        "profiles": profiles,
    }


def test_onnx_int8_vectors_match_torch_fp32(tmp_path: Path) -> None:
    onnx = OnnxEmbedder(REPO_ROOT / "matcher" / "models" / "minilm-int8")
    fp32 = SentenceTransformerEmbedder(str(packaged_model_path()), precision="fp32")
    for kind, texts in real_texts(tmp_path).items():
        cosine = np.sum(onnx.embed(texts) * fp32.embed(texts), axis=1)
        assert cosine.mean() >= 0.99, (kind, cosine.mean())
        assert cosine.min() >= 0.95, (kind, cosine.min())
