"""The statement owed to a candidate about the algorithm that placed them on a shortlist.

CRPA art. L311-3-1 and R311-3-1-2 (décret 2017-330): on request, the administration states (1) the
degree and mode of contribution of the algorithmic processing to the decision, (2) the data processed
and their sources, (3) the processing parameters and, where relevant, their weighting as applied to
the person's situation, (4) the operations carried out. GDPR art. 15(1)(h) and AI Act art. 86 ask for
the same in substance. Built from what the shortlist recorded, so it describes the ranking as it ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.governance.retention import NOT_HIRED_DAYS, POOL_DAYS
from matcher.ranking.additive import read_manifest
from matcher.ranking.features import FEATURE_LABELS, FEATURES
from matcher.ranking.pipeline import Explanation, Shortlist
from matcher.ranking.scorer import LearnedScorer
from matcher.store.tables import EmployerRow, ShortlistRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

ROLE = (
    "Aide à la décision. L'algorithme propose au recruteur une liste ordonnée de profils pour une approche "
    "directe ; il ne prend aucune décision, n'écarte aucun candidat et ne refuse personne. Chaque décision "
    "(contact, entretien, recrutement, refus motivé) est prise par un agent de l'employeur."
)
ROLE_SEARCH = (
    "Aide à la recherche. Cet employeur a désactivé le classement par intelligence artificielle : la liste "
    "suit l'ordre d'un moteur de recherche, sans score. Aucune décision n'est prise par l'algorithme."
)
DATA = [
    {"donnée": "Intitulé du poste recherché, métiers ROME souhaités, expériences", "source": "votre profil"},
    {"donnée": "Compétences déclarées", "source": "votre profil, codées selon le référentiel ROME 4.0 / ESCO"},
    {"donnée": "Zone de mobilité (communes et rayon)", "source": "votre profil ; coordonnées : référentiel INSEE"},
    {"donnée": "Types de contrat, niveau de diplôme, disponibilité", "source": "votre profil"},
    {"donnée": "Intitulé, description, lieu, métier et compétences de l'offre", "source": "l'offre de l'employeur"},
    {"donnée": "Métiers, compétences et mobilités entre métiers", "source": "France Travail, ROME 4.0 ; ESCO"},
]
NOT_USED = (
    "Ne sont jamais utilisés : nom, prénom, âge, sexe, origine, adresse, situation de famille, santé, handicap "
    "ni aucun critère protégé par l'article 225-1 du code pénal ; le texte libre de présentation non plus."
)
OPERATIONS = [
    "Filtrage : seuls les profils rendus visibles aux employeurs (consentement daté) et dont la zone de mobilité "
    "couvre le lieu de travail sont examinés.",
    "Recherche : mots-clés (BM25) et proximité sémantique du texte, fusionnées par rang (200 profils au plus).",
    "Calcul des critères : chacun entre 0 et 1, à partir des données ci-dessus.",
    "Score : un socle commun plus une part par critère ; chaque part croît avec le critère.",
    "Classement : par score décroissant ; le recruteur voit le score et son détail.",
]
OPERATIONS_SEARCH = [*OPERATIONS[:2], "Classement : dans l'ordre de la recherche, sans score."]


def statement(
    *,
    offer_id: str,
    ranking: str,
    model_version: str | None,
    rank: int,
    score: float | None,
    explanation: Explanation | None,
) -> dict[str, Any]:
    """The four items for one place on a shortlist, as structured data (French labels)."""
    ai = ranking == "model"
    parameters = []
    if ai and explanation is not None:
        parameters = [
            {
                "critère": c.label,
                "code": c.feature,
                "valeur": None if c.value is None else round(c.value, 4),
                "poids_appliqué": round(c.contribution, 6),
            }
            for c in sorted(explanation.contributions, key=lambda c: -abs(c.contribution))
        ]
    facts = {}
    if explanation is not None:
        facts = {
            "compétences_trouvées": explanation.matched_skills,
            "compétences_manquantes": explanation.missing_skills,
            "distance_km": explanation.distance_km,
            "métier_de_l_offre": explanation.occupation,
        }
    return {
        "offre": offer_id,
        "rang": rank,
        "score": score,
        "modèle": model_version,
        "rôle_de_l_algorithme": ROLE if ai else ROLE_SEARCH,
        "données_et_sources": DATA,
        "données_non_utilisées": NOT_USED,
        "paramètres_et_pondération": parameters,
        "faits_retenus": facts,
        "opérations": OPERATIONS if ai else OPERATIONS_SEARCH,
        "recours": "Vous pouvez demander des précisions, la rectification de vos données ou l'effacement de votre "
        "profil auprès de l'employeur ou du délégué à la protection des données.",
    }


def for_shortlist(shortlist: Shortlist, candidate_id: str) -> dict[str, Any] | None:
    """Statement for a candidate on a freshly built shortlist (None if they are not on it)."""
    entry = next((e for e in shortlist.entries if e.candidate_id == candidate_id), None)
    if entry is None:
        return None
    return statement(
        offer_id=shortlist.offer_id,
        ranking=shortlist.ranking,
        model_version=shortlist.model_version,
        rank=entry.rank,
        score=entry.score,
        explanation=entry.explanation,
    )


def for_kept_shortlist(row: ShortlistRow, candidate_id: str) -> dict[str, Any] | None:
    """Statement for a candidate on a kept shortlist, from what was recorded when it was built."""
    entry = next((e for e in row.entries if e.get("candidate_id") == candidate_id), None)
    if entry is None:
        return None
    raw = entry.get("explanation")
    return statement(
        offer_id=row.offer_id,
        ranking=row.ranking,
        model_version=row.model_version,
        rank=entry["rank"],
        score=entry.get("score"),
        explanation=Explanation.model_validate(raw) if raw else None,
    )


def render(data: dict[str, Any]) -> str:
    """The statement as plain French text (a letter or a page)."""
    lines = [
        f"Traitement algorithmique — offre {data['offre']}, rang {data['rang']}",
        "",
        "1. Rôle de l'algorithme dans la décision",
        data["rôle_de_l_algorithme"],
        "",
        "2. Données traitées et leurs sources",
        *(f"- {d['donnée']} ({d['source']})" for d in data["données_et_sources"]),
        data["données_non_utilisées"],
        "",
        "3. Paramètres et leur pondération appliqués à votre situation",
    ]
    if data["paramètres_et_pondération"]:
        lines += [
            f"- {p['critère']} : valeur {'—' if p['valeur'] is None else format(p['valeur'], '.2f')}, "
            f"apport au score {p['poids_appliqué']:+.4f}"
            for p in data["paramètres_et_pondération"]
        ]
        lines.append(f"Score total : {data['score']:.4f} (modèle {data['modèle']}), somme des apports ci-dessus.")
    else:
        lines.append("Aucun score : le classement par intelligence artificielle est désactivé pour cet employeur.")
    facts = data["faits_retenus"]
    if facts.get("compétences_trouvées"):
        lines.append(f"Compétences attendues trouvées : {', '.join(facts['compétences_trouvées'])}.")
    if facts.get("compétences_manquantes"):
        lines.append(f"Compétences attendues absentes : {', '.join(facts['compétences_manquantes'])}.")
    lines += ["", "4. Opérations effectuées", *(f"- {o}" for o in data["opérations"]), "", data["recours"]]
    return "\n".join(lines)


def model_card_facts(session: Session) -> dict[str, int]:
    """Figures the public model card shows: employers with AI ranking off, default retention durations."""
    employers = session.scalar(select(func.count()).select_from(EmployerRow)) or 0
    ai_off = session.scalar(select(func.count()).select_from(EmployerRow).where(EmployerRow.ai_ranking.is_(False)))
    return {"employers": employers, "ai_off": ai_off or 0, "not_hired_days": NOT_HIRED_DAYS, "pool_days": POOL_DAYS}


# Each criterion as the public page words it, for the person whose profile is ranked.
PUBLIC_LABELS = {
    "semantic": "Le sens général de votre profil est proche de celui de l'offre",
    "lexical": "Les mots importants de l'offre se retrouvent dans votre profil",
    "title_match": "Le poste que vous recherchez ressemble à l'intitulé de l'offre",
    "same_occupation": "Vous recherchez le métier de l'offre",
    "neighbour_occupation": "Vous recherchez un métier voisin, vers lequel on passe souvent (selon France Travail)",
    "same_domain": "Vous recherchez un métier du même domaine professionnel",
    "required_skills": "Vous avez les compétences demandées par l'offre",
    "desired_skills": "Vous avez les compétences appréciées par l'offre",
    "experience": "Votre expérience atteint celle demandée",
    "contract": "Vous acceptez le type de contrat proposé",
    "category": "Votre diplôme correspond au niveau du poste (catégorie A, B ou C)",
    "proximity": "Le lieu de travail est proche du centre de la zone où vous acceptez de travailler",
    "availability": "Vous êtes disponible à temps",
    "retrieval": "Votre profil ressort bien quand on cherche avec le texte de l'offre",
    "retrieval_unsure": "Votre profil ressort bien quand on cherche avec le texte de l'offre, si le métier ou les "
    "compétences de l'offre sont incertains",
}
# Why a criterion weighs nothing in a learned model (a reason for each one that does today).
UNUSED_BY_MODEL = {
    "contract": "les exemples dont le modèle a appris sont tirés des seuls codes métier et ne disent rien du "
    "contrat ; le recruteur voit lesquels des contrats de l'offre vous acceptez",
    "category": "les exemples dont le modèle a appris sont tirés des seuls codes métier et ne disent rien du diplôme",
    "retrieval": "le modèle ne s'en sert que lorsque le métier ou les compétences de l'offre sont incertains "
    "(critère ci-dessus)",
}
UNUSED_BY_MODEL_OTHERWISE = "l'apprentissage ne lui a donné aucun poids"
UNUSED_BY_HAND = "les poids fixés à la main, utilisés tant qu'aucun modèle n'est appris, n'en tiennent pas compte"
# Share of the sum of the weights from which a criterion counts "a lot", "moderately".
MUCH, SOME = 0.15, 0.05


@dataclass(frozen=True)
class Criterion:
    """One criterion of the ranking as the public reads it: its importance in words, or why it is not used."""

    feature: str
    label: str
    importance: str  # "forte", "moyenne", "faible", or "" when unused
    unused_because: str | None


def criteria(weights: dict[str, float], *, learned: bool) -> list[Criterion]:
    """Every criterion, the heaviest first, its weight told in words; an unused one says why."""
    total = sum(max(w, 0.0) for w in weights.values()) or 1.0
    out = []
    for feature in sorted(FEATURES, key=lambda f: -weights.get(f, 0.0)):
        share = max(weights.get(feature, 0.0), 0.0) / total
        if share <= 1e-9:
            why = UNUSED_BY_MODEL.get(feature, UNUSED_BY_MODEL_OTHERWISE) if learned else UNUSED_BY_HAND
            if feature == "retrieval" and weights.get("retrieval_unsure", 0.0) <= 0:
                why = UNUSED_BY_MODEL_OTHERWISE if learned else UNUSED_BY_HAND
            out.append(Criterion(feature, PUBLIC_LABELS[feature], "", why))
        else:
            importance = "forte" if share >= MUCH else "moyenne" if share >= SOME else "faible"
            out.append(Criterion(feature, PUBLIC_LABELS[feature], importance, None))
    return out


def model_card(rt: Runtime) -> dict[str, Any]:
    """What the model pages show: the criteria in plain words (public page); their weights, the training manifest
    and evaluation figures of a learned scorer (technical page); and the figures of :func:`model_card_facts`."""
    scorer = rt.scorer
    learned = isinstance(scorer, LearnedScorer)
    manifest = read_manifest(rt.settings.ranker_path) if learned else None
    if isinstance(scorer, LearnedScorer):
        weights = dict(zip(scorer.features, scorer.ranker.coef_.sum(axis=1).tolist(), strict=True))
    else:
        weights = dict(scorer.weights)  # type: ignore[attr-defined]
    public = criteria(weights, learned=learned)
    unused = {c.feature: c.unused_because for c in public}
    features = [(f, FEATURE_LABELS[f], weights.get(f, 0.0), unused[f]) for f in FEATURES]
    with rt.store.read() as session:
        facts = model_card_facts(session)
    return {
        "criteria": public,
        "features": sorted(features, key=lambda f: -f[2]),
        "version": scorer.version,
        "manifest": manifest,
        "metrics": [(k, v) for k, v in manifest.metrics.items() if isinstance(v, dict)] if manifest else [],
        "embedding_model": rt.embedder.model_id,  # name, tokens read, precision, digest of the served model
        **facts,
    }
