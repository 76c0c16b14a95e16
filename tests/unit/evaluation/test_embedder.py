"""The French embedder's training data and loop: held-out occupations stay out, batches carry no false negative."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from matcher.core.settings import REPO_ROOT, packaged_model_path
from matcher.evaluation.benchmark import domain_split
from matcher.evaluation.embedder import (
    EmbedderFigures,
    Pair,
    batches,
    beats,
    install,
    model_card,
    train_embedder,
    training_pairs,
    verdict,
)
from matcher.reference.taxonomy import Taxonomy

DATA = REPO_ROOT / "data"


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    return training_pairs(Taxonomy(DATA / "rome"), DATA)


def test_no_pair_touches_an_occupation_of_the_test_domains(pairs: list[Pair]) -> None:
    assert pairs
    assert {domain_split(p.code) for p in pairs} == {"train"}
    test_titles = {t.label for t in Taxonomy(DATA / "rome").job_titles.values() if domain_split(t.rome) == "test"}
    # Offers are split by their own code: a train-domain offer may share a title with a test-domain job title.
    assert not test_titles & {p.anchor for p in pairs if p.kind != "offre ↔ fiche"}


def test_pairs_cover_every_kind_and_real_offers(pairs: list[Pair]) -> None:
    kinds = {p.kind for p in pairs}
    assert kinds == {
        "intitulé ↔ fiche",
        "intitulé ↔ intitulé",
        "féminin ↔ masculin",
        "intitulé ↔ définition",
        "offre ↔ fiche",
    }
    # Offers are real texts (title and description), not ROME labels.
    assert any(len(p.anchor) > 200 for p in pairs if p.kind == "offre ↔ fiche")


def test_pairs_are_reproducible(pairs: list[Pair]) -> None:
    assert training_pairs(Taxonomy(DATA / "rome"), DATA) == pairs


def test_a_batch_never_holds_two_pairs_of_one_occupation(pairs: list[Pair]) -> None:
    seen = 0
    for batch in batches(pairs[:3000], 32, random.Random(1)):
        assert len(batch) == 32
        assert len({p.code for p in batch}) == 32
        seen += len(batch)
    assert seen > 2500


def _figures(dense: float, ranker: float, top1: float, top3: float) -> EmbedderFigures:
    return EmbedderFigures("m", dense, ranker, top1, top3, offers=10)


def test_a_new_default_must_win_everywhere_and_stay_faithful_in_int8() -> None:
    reference = _figures(0.45, 0.73, 0.30, 0.45)
    assert beats(_figures(0.50, 0.75, 0.35, 0.50), reference, 0.995)
    assert not beats(_figures(0.50, 0.72, 0.35, 0.50), reference, 0.995)  # full ranker worse
    assert not beats(_figures(0.50, 0.75, 0.25, 0.50), reference, 0.995)  # occupations worse
    assert not beats(_figures(0.50, 0.75, 0.35, 0.50), reference, 0.98)  # int8 drifts from fp32


def test_a_rerun_never_replaces_a_better_served_fine_tune() -> None:
    """One epoch (872 steps) beat the packaged model on every figure of its run but not the served fine-tune
    (1 December 2026): it must not take its place."""
    packaged = _figures(0.490, 0.827, 0.325, 0.411)
    served = _figures(0.568, 0.842, 0.448, 0.528)
    one_epoch = _figures(0.572, 0.831, 0.405, 0.540)
    serve, reason = verdict(one_epoch, packaged, 0.9938, served)
    assert not serve and "reste en service" in reason
    assert verdict(one_epoch, packaged, 0.9938)[0]  # with no fine-tune served yet, it would have been
    assert verdict(_figures(0.58, 0.85, 0.46, 0.55), packaged, 0.995, served)[0]
    assert not verdict(_figures(0.58, 0.85, 0.46, 0.55), packaged, 0.98, served)[0]  # int8 drifts
    assert "n'est pas mis en service" in verdict(_figures(0.4, 0.8, 0.3, 0.4), packaged, 0.995)[1]


def test_install_puts_the_new_model_in_place_and_leaves_no_old_copy(tmp_path: Path) -> None:
    served, candidate = tmp_path / "french-int8", tmp_path / "french-int8.nouveau"
    served.mkdir()
    (served / "model.onnx").write_bytes(b"old")
    candidate.mkdir()
    (candidate / "model.onnx").write_bytes(b"new")
    install(candidate, served)
    assert (served / "model.onnx").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["french-int8"]
    fresh = tmp_path / "fresh.nouveau"
    fresh.mkdir()
    install(fresh, tmp_path / "fresh")  # nothing served yet: the new folder simply takes the name
    assert (tmp_path / "fresh").is_dir() and not fresh.exists()


@pytest.mark.model
def test_training_writes_a_loadable_model_and_its_card(pairs: list[Pair], tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    trained = train_embedder(
        packaged_model_path(), tmp_path / "model", pairs[:400], steps=2, batch_size=8, log=lambda _: None
    )
    model = SentenceTransformer(str(trained.folder), device="cpu")
    vectors = model.encode(["Jardinier / Jardinière", "Agent d'entretien des espaces verts"], normalize_embeddings=True)
    assert vectors.shape == (2, 384)
    card = json.loads((trained.folder / "training.json").read_text(encoding="utf-8"))
    assert card["version"].startswith("french-") and card["steps"] == 2 and card["pairs"] == 400
    text = model_card(card, "| table |", verdict="Il n'est pas mis en service.")
    assert "Licence Ouverte" in text and "Il n'est pas mis en service." in text and card["version"] in text
