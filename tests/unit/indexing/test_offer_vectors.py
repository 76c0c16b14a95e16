"""An offer's vector leans toward its title: the job it names, not its employer's story."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.core.settings import REPO_ROOT
from matcher.embedding.onnx import OnnxEmbedder
from matcher.indexing.documents import offer_vectors

TITLE = "Jardinier espaces verts H/F"
# As many offers open: the employer, its services and its people first, the job later.
TEXT = (
    f"{TITLE}. La commune de Privas, préfecture de l'Ardèche, 8 000 habitants, recrute pour sa direction des "
    "services techniques. La collectivité compte 150 agents répartis entre l'accueil de la mairie, l'état civil, "
    "la médiathèque, les écoles et la police municipale. Horaires : 35 heures hebdomadaires, du lundi au vendredi. "
    "Rémunération statutaire, régime indemnitaire, prestations du CNAS. Missions : entretien des massifs."
)
GARDENER = "Jardinier. Jardinier paysagiste. Taille des haies. Tonte des pelouses. Entretien des massifs"
CLERK = "Agent d'accueil. Agent d'état civil. Accueil du public en mairie. Tenue des registres d'état civil"


@pytest.fixture(scope="module")
def embedder() -> OnnxEmbedder:
    return OnnxEmbedder(REPO_ROOT / "matcher" / "models" / "french-int8")


def test_the_vector_is_the_mean_of_text_and_title_made_unit(embedder: OnnxEmbedder) -> None:
    other = "Agent d'accueil en mairie. Accueil physique et téléphonique du public."
    vectors = offer_vectors(embedder, [TITLE, "  ", "Agent d'accueil"], [TEXT, TEXT, other])
    whole, named, other_whole, other_named = embedder.embed([TEXT, TITLE, other, "Agent d'accueil"])
    np.testing.assert_allclose(vectors[0], (whole + named) / np.linalg.norm(whole + named), atol=1e-6)
    np.testing.assert_array_equal(vectors[1], whole)  # no title: the text alone
    both = other_whole + other_named
    np.testing.assert_allclose(vectors[2], both / np.linalg.norm(both), atol=1e-6)  # each offer its own title
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_job_of_the_title_outweighs_the_services_of_the_employer(embedder: OnnxEmbedder) -> None:
    gardener, clerk = embedder.embed([GARDENER, CLERK])
    whole = embedder.embed([TEXT])[0]
    leaning = offer_vectors(embedder, [TITLE], [TEXT])[0]
    text_margin = float(whole @ gardener - whole @ clerk)
    margin = float(leaning @ gardener - leaning @ clerk)
    assert margin > text_margin + 0.05, (text_margin, margin)
