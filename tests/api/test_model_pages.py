"""The model pages: /modele in plain French for everyone, /modele/technique with the figures for specialists."""

from __future__ import annotations

import html
import re

from matcher.ranking.additive import read_manifest
from matcher.runtime import Runtime
from tests.factories import World

JARGON = ("NDCG", "MRR", "Recall", "SHA-256", "BM25", "additive", "cosinus", "plongement", "MiniLM", "score")
ENGLISH = {"the", "and", "of", "is", "with", "ranking", "model", "weight", "features", "training"}


def main_text(page: str) -> str:
    """What a person reads in the page's main part: tags dropped, entities decoded, spaces folded."""
    main = page.split('<main id="contenu"', 1)[1].split("</main>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main.split(">", 1)[1])).split())


def test_the_public_page_speaks_plain_french_and_says_who_decides_and_how_to_contest(rt: Runtime, world: World) -> None:
    world.client.cookies.clear()
    page = world.client.get("/modele")
    assert page.status_code == 200
    text = main_text(page.text)
    for jargon in (*JARGON, rt.scorer.version, read_manifest(rt.settings.ranker_path).training_data_sha256[:16]):
        assert jargon not in text, jargon
    assert not ENGLISH & {w.casefold() for w in re.findall(r"[A-Za-z]+", text)}
    assert "Toujours une personne : un recruteur de l'employeur" in text
    assert "article 225-1 du code pénal" in text and "votre âge" in text and "votre origine" in text
    assert "Contester une décision et demander qu'une personne la réexamine" in text
    assert 'href="/modele/technique"' in page.text


def unused_features(rt: Runtime) -> int:
    """Criteria the shipped model gives no weight at all."""
    return sum(1 for slopes in read_manifest(rt.settings.ranker_path).coefficients if not any(slopes))


def test_no_criterion_is_shown_weighing_nothing_without_saying_why(rt: Runtime, world: World) -> None:
    page = world.client.get("/modele").text
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>\s*<td>([^<]+)</td></tr>', page)
    assert len(rows) == 15
    importances = [" ".join(cell.split()) for _, cell in rows]
    unused = [cell for cell in importances if cell.startswith("non utilisé par le modèle actuel : ")]
    # The shipped model gives no weight to some criteria (experience, category, the plain retrieval rank today).
    assert len(unused) == unused_features(rt) > 0
    assert all(len(cell) > len("non utilisé par le modèle actuel : ") + 20 for cell in unused)
    assert set(importances) - set(unused) <= {"forte", "moyenne", "faible"}
    assert "0.000" not in page and "0,000" not in page


def test_the_technical_page_has_the_version_weights_hash_and_metrics(rt: Runtime, world: World) -> None:
    world.client.cookies.clear()
    page = world.client.get("/modele/technique")
    assert page.status_code == 200
    manifest = read_manifest(rt.settings.ranker_path)
    assert rt.scorer.version in page.text and manifest.training_data_sha256 in page.text
    assert "NDCG@10" in page.text and '<th scope="row">ranker</th>' in page.text
    zero = re.findall(r"<td>0,000 — non utilisé par le modèle actuel : [^<]{20,}</td>", page.text)
    assert len(zero) == unused_features(rt)
    assert 'href="/modele"' in page.text
