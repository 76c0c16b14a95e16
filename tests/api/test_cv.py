"""CV upload: a draft whose fields name their CV line, nothing stored unless asked, hostile files refused."""

from __future__ import annotations

import pytest

from matcher.runtime import Runtime
from matcher.store.tables import CandidateRow, CvFileRow
from tests.factories import (
    World,
    candidate_body,
    count,
    cv_docx,
    cv_pdf,
    encrypted_pdf,
    image_only_pdf,
    many_pages_pdf,
    zip_bomb_docx,
)

CV = [
    "Camille Martin",
    "Jardinière paysagiste",
    "12 rue des Écoles, 07000 Privas",
    "06 12 34 56 78 · camille.martin@exemple.fr",
    "Disponible immédiatement",
    "EXPÉRIENCES PROFESSIONNELLES",
    "janv. 2020 – aujourd'hui : Jardinière — Mairie de Privas",
    "- Tailler les arbres et arbustes",
    "03/2015 à 06/2017 : Agent d'entretien des espaces verts — Commune d'Aubenas",
    "FORMATION",
    "2013 - 2015 : BTS Aménagements paysagers",
    "LANGUES",
    "Français : langue maternelle",
    "Anglais : courant",
    "Permis B et EC",
]


def _post(world: World, content: bytes, filename: str, **params: object) -> object:
    return world.client.post(
        "/me/cv",
        params={"filename": filename, **params},
        content=content,
        headers={**world.as_("seeker"), "content-type": "application/octet-stream"},
    )


def test_a_pdf_cv_gives_a_draft_whose_fields_name_their_line_and_nothing_is_stored(rt: Runtime, world: World) -> None:
    response = _post(world, cv_pdf(CV), "mon cv.pdf")
    assert response.status_code == 200, response.text
    body = response.json()
    draft = body["draft"]
    assert draft["format"] == "pdf"
    assert draft["title"]["value"] == "Jardinière paysagiste"
    assert [x["value"] for x in draft["driving_licences"]] == ["B", "CE"]
    assert draft["driving_licences"][0]["source"]["text"] == "Permis B et EC"
    assert {x["value"] for x in draft["languages"]} == {"français", "anglais"}
    assert draft["commune"]["insee"] == "07186"
    assert draft["commune"]["source"]["text"].endswith("07000 Privas")
    assert draft["education_level"]["value"] == "niveau_5"
    first, second = draft["experiences"]
    assert first["employer"] == "Mairie de Privas" and first["end"] is None
    assert second["start"] == "2015-03-01" and second["end"] == "2017-06-01" and second["years"] == 2.2
    assert "A1203" in [o["code"] for o in draft["occupations"]]
    assert body["profile"]["driving_licences"] == ["B", "CE"]
    assert body["kept"] is False
    assert count(rt, CandidateRow) == 0 and count(rt, CvFileRow) == 0


def test_the_file_is_kept_only_when_asked_and_goes_with_the_profile(rt: Runtime, world: World) -> None:
    refused = _post(world, cv_docx(CV), "cv.docx", keep="true")
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "keep"
    assert count(rt, CvFileRow) == 0
    draft = _post(world, cv_docx(CV), "cv.docx").json()["profile"]
    body = candidate_body(**{k: v for k, v in draft.items() if v is not None})
    created = world.client.post("/me/profile", json=body, headers=world.as_("seeker"))
    assert created.status_code == 201, created.text
    content = cv_docx(CV)
    assert _post(world, content, "../../cv final.docx", keep="true").json()["kept"] is True
    kept = world.client.get("/me/cv/file", headers=world.as_("seeker"))
    assert kept.content == content
    assert 'filename="cv final.docx"' in kept.headers["content-disposition"]
    export = world.client.get("/me/export", headers=world.as_("seeker")).json()
    assert export["cv_file"]["filename"] == "cv final.docx" and "content" not in export["cv_file"]
    assert world.client.delete("/me", headers=world.as_("seeker")).status_code in (200, 204)
    assert count(rt, CvFileRow) == 0


def test_a_kept_file_can_be_deleted_and_the_profile_stays(rt: Runtime, world: World) -> None:
    world.client.post("/me/profile", json=candidate_body(), headers=world.as_("seeker"))
    _post(world, cv_pdf(CV), "cv.pdf", keep="true")
    assert world.client.delete("/me/cv/file", headers=world.as_("seeker")).status_code == 204
    assert world.client.get("/me/cv/file", headers=world.as_("seeker")).status_code == 404
    assert count(rt, CvFileRow) == 0 and count(rt, CandidateRow) == 1


@pytest.mark.parametrize(
    ("build", "filename", "message"),
    [
        (lambda: encrypted_pdf(CV), "cv.pdf", "protégé par un mot de passe"),
        (lambda: zip_bomb_docx(200), "cv.docx", "archive anormale"),
        (lambda: many_pages_pdf(10_000), "cv.pdf", "trop de pages"),
        (image_only_pdf, "cv.pdf", "aucun texte trouvé : remplissez le profil à la main ou déposez un PDF texte"),
        (lambda: cv_pdf(CV), "cv.docx", "ne correspond pas au contenu"),
        (lambda: cv_docx(CV, macros=True), "cv.docm", "macros"),
    ],
)
def test_hostile_files_get_a_french_problem_and_nothing_is_stored(
    rt: Runtime, world: World, build: object, filename: str, message: str
) -> None:
    world.client.post("/me/profile", json=candidate_body(), headers=world.as_("seeker"))
    response = _post(world, build(), filename, keep="true")  # type: ignore[operator]
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert message in problem["detail"] and problem["errors"][0]["field"] == "file"
    assert count(rt, CvFileRow) == 0
    assert _post(world, cv_pdf(CV), "cv.pdf").status_code == 200  # the worker survives


def test_over_five_megabytes_is_refused_and_only_seekers_may_send(world: World) -> None:
    big = _post(world, b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024 + 1), "cv.pdf")
    assert big.status_code == 422 and "5 Mo au plus" in big.json()["detail"]
    for who in ("recruiter", "partner", "anonymous"):
        response = world.client.post("/me/cv", content=cv_pdf(CV), headers=world.as_(who))
        assert response.status_code in (401, 403)
