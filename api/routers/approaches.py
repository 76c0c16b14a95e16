"""The direct approach: recruiters approach candidates for an offer and follow its pipeline; candidates answer,
choose what they share, say they are interested; the signed e-mail link answers without signing in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, status

from api.auth import PrincipalDep
from api.deps import RunnerDep, RuntimeDep
from matcher.approach import approaches, links, measures, pipeline
from matcher.approach.approaches import (
    AnswerIn,
    Approach,
    ApproachIn,
    LinkedApproach,
    Preferences,
    PreferencesIn,
    Source,
    Template,
    TemplateIn,
)
from matcher.approach.measures import Measures
from matcher.approach.pipeline import Interest, Pipeline, Stage, StageIn, Step
from matcher.core.models import Strict

router = APIRouter(tags=["approche directe"])


# --- recruiters -------------------------------------------------------------------------------


@router.post("/offers/{offer_id}/approaches", status_code=status.HTTP_201_CREATED)
def send_approaches(
    offer_id: str, data: ApproachIn, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> list[Approach]:
    """Approche un ou plusieurs candidats pour l'offre : tous ou aucun (le refus nomme le candidat en cause)."""
    sent = approaches.send(rt, principal=principal, offer_id=offer_id, data=data)
    tasks.add_task(runner.kick)  # the e-mails
    return sent


@router.get("/offers/{offer_id}/approaches")
def offer_approaches(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> list[Approach]:
    """Les approches de l'offre ; les coordonnées n'apparaissent qu'après acceptation, tant que non retirées."""
    return approaches.for_offer(rt, principal=principal, offer_id=offer_id)


@router.get("/approaches/{approach_id}")
def get_approach(approach_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Approach:
    return approaches.for_recruiter(rt, principal=principal, approach_id=approach_id)


@router.get("/offers/{offer_id}/approach-template")
def get_template(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Template:
    return approaches.template(rt, principal=principal, offer_id=offer_id)


@router.put("/offers/{offer_id}/approach-template")
def put_template(offer_id: str, data: TemplateIn, rt: RuntimeDep, principal: PrincipalDep) -> Template:
    """Le modèle de message de l'offre ; variables permises : {employeur}, {offre}, {lieu}, {contrat}, {resume},
    {pourquoi}, {message}, {expiration}."""
    return approaches.set_template(rt, principal=principal, offer_id=offer_id, data=data)


@router.get("/offers/{offer_id}/pipeline")
def get_pipeline(
    offer_id: str,
    rt: RuntimeDep,
    principal: PrincipalDep,
    stage: Annotated[list[Stage] | None, Query()] = None,
    source: Source | None = None,
) -> Pipeline:
    """Le vivier de l'offre : l'étape de chaque candidat, son origine et son historique (qui, quand)."""
    return pipeline.read(rt, principal=principal, offer_id=offer_id, stages=stage, source=source)


@router.post("/offers/{offer_id}/pipeline/{candidate_id}")
def move_in_pipeline(offer_id: str, candidate_id: str, data: StageIn, rt: RuntimeDep, principal: PrincipalDep) -> Step:
    """Change l'étape d'un candidat (entretien, recruté, non retenu — motif obligatoire) : une décision tracée."""
    return pipeline.move(rt, principal=principal, offer_id=offer_id, candidate_id=candidate_id, data=data)


@router.get("/offers/{offer_id}/approach-measures")
def offer_measures(offer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Measures:
    return measures.for_offer(rt, principal=principal, offer_id=offer_id)


@router.get("/employers/{employer_id}/approach-measures")
def employer_measures(employer_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Measures:
    return measures.for_employer(rt, principal=principal, employer_id=employer_id)


# --- job seekers ------------------------------------------------------------------------------


@router.get("/me/approaches")
def my_approaches(rt: RuntimeDep, principal: PrincipalDep) -> list[Approach]:
    return approaches.for_candidate(rt, principal=principal)


@router.get("/me/approaches/{approach_id}")
def my_approach(approach_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Approach:
    return approaches.own_approach(rt, principal=principal, approach_id=approach_id)


@router.post("/me/approaches/{approach_id}/answer")
def answer_approach(
    approach_id: str, data: AnswerIn, rt: RuntimeDep, principal: PrincipalDep, runner: RunnerDep, tasks: BackgroundTasks
) -> Approach:
    """Accepter (en choisissant les coordonnées transmises) ou décliner (motif facultatif)."""
    answered = approaches.answer(rt, principal=principal, approach_id=approach_id, data=data)
    tasks.add_task(runner.kick)  # the recruiter's e-mail and webhook
    return answered


@router.delete("/me/approaches/{approach_id}/contact")
def withdraw_contact(approach_id: str, rt: RuntimeDep, principal: PrincipalDep) -> Approach:
    """Retire les coordonnées transmises : l'employeur ne les voit plus."""
    return approaches.withdraw_contact(rt, principal=principal, approach_id=approach_id)


@router.get("/me/approach-preferences")
def get_preferences(rt: RuntimeDep, principal: PrincipalDep) -> Preferences:
    return approaches.own_preferences(rt, principal=principal)


@router.put("/me/approach-preferences")
def put_preferences(data: PreferencesIn, rt: RuntimeDep, principal: PrincipalDep) -> Preferences:
    """Accepter ou refuser toute approche ; le numéro de téléphone proposé au moment d'accepter."""
    return approaches.set_preferences(rt, principal=principal, data=data)


class InterestIn(Strict):
    offer_id: str


@router.post("/me/interests", status_code=status.HTTP_201_CREATED)
def mark_interest(data: InterestIn, rt: RuntimeDep, principal: PrincipalDep) -> Interest:
    """« Je suis intéressé·e » : vous entrez dans le vivier de l'offre, expliqué comme une place de présélection."""
    return pipeline.mark_interest(rt, principal=principal, offer_id=data.offer_id)


@router.get("/me/interests")
def my_interests(rt: RuntimeDep, principal: PrincipalDep) -> list[Interest]:
    return pipeline.interests(rt, principal=principal)


# --- the signed e-mail link (the link is the credential) --------------------------------------


@router.get("/approach-answers/{token}")
def read_by_link(token: str, rt: RuntimeDep) -> LinkedApproach:
    """La proposition que nomme le lien signé reçu par e-mail."""
    return approaches.by_link(rt, approach_id=links.approach_of(rt.settings, token))


@router.post("/approach-answers/{token}")
def answer_by_link(token: str, data: AnswerIn, rt: RuntimeDep, runner: RunnerDep, tasks: BackgroundTasks) -> Approach:
    """Répondre avec le lien signé reçu par e-mail, sans se connecter."""
    answered = approaches.answer_by_link(rt, approach_id=links.approach_of(rt.settings, token), data=data)
    tasks.add_task(runner.kick)
    return answered
