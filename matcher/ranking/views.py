"""Views of offers and candidates for the features: from stored records, or from plain text.

Where an offer lists no skills, the skills expected are the core skills of its occupation plus the
skills its text names; where it has no ROME code, the occupation is inferred from its title. The
view says which, so explanations can too.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

from indices.analysis import analyze
from matcher.core.models import Candidate, CandidateIn, EducationLevel, Offer, OfferIn
from matcher.indexing.documents import candidate_text
from matcher.ranking.features import GUESSES, NAMED_AT, CandidateView, OfferView, confidences_of
from matcher.reference.classifier import Inferer, clean_title, leading_title
from matcher.reference.geography import Geography
from matcher.reference.language import is_french
from matcher.reference.skills import SkillExtractor
from matcher.reference.taxonomy import Taxonomy

EDUCATION_LEVEL = {level: (0 if level == EducationLevel.NONE else int(level.value[-1])) for level in EducationLevel}
DESCRIPTION_CHARS = 1_500
TITLE_GUESSES = 3  # a profile's title names one occupation, its guesses are few


def skills_occupation(occupations: tuple[str, ...], confidences: tuple[float, ...]) -> str | None:
    """The occupation whose ROME skills an offer that lists none is read with: its best guess, if sure enough to be
    named (a page lists the skills a candidate misses; none may come from an occupation the offer is unlikely
    to be)."""
    return occupations[0] if occupations and confidences[0] >= NAMED_AT else None


def inferred_occupations(inferer: Inferer, title: str, description: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """An offer's occupations as the classifier reads its title and description, with their confidences.

    Every guess, even where the classifier would abstain: a feature weighed by 0.1 already says "unsure", where no
    guess at all would throw away the truth at second place."""
    guesses = inferer.infer(title, description[:DESCRIPTION_CHARS], k=GUESSES, abstain=False)
    return tuple(g.code for g in guesses), tuple(g.score for g in guesses)


def _skills(
    listed: tuple[list[str], list[str]],
    occupation: str | None,
    text: str,
    taxonomy: Taxonomy,
    extractor: SkillExtractor | None,
) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    # A work context ("Travail de nuit") is no skill: refused on write since 30 November 2026, it may still sit in an
    # offer stored before, where a page would list it among the skills a candidate misses.
    required, desired = (taxonomy.without_contexts(codes) for codes in listed)
    if required or desired:
        return tuple(dict.fromkeys(required)), tuple(dict.fromkeys(desired)), "offre"
    core = tuple(taxonomy.core_skills(occupation)) if occupation else ()
    # The occupation tells the extractor which one-word skills belong to the job (else it guesses from the text).
    known = (occupation,) if occupation else ()
    named = tuple(s for s in dict.fromkeys(extractor.rome_codes(text, known)) if s not in core) if extractor else ()
    source = " + ".join(p for p, present in (("métier ROME", core), ("texte de l'offre", named)) if present)
    return core, named, source or "aucune"


def offer_view(
    offer: OfferIn,
    *,
    taxonomy: Taxonomy,
    geography: Geography,
    inferer: Inferer | None = None,
    extractor: SkillExtractor | None = None,
    hide_occupation: bool = False,
) -> OfferView:
    """The offer as the features see it (``hide_occupation``: infer the ROME code as if it were absent)."""
    text = f"{offer.title}. {offer.description[:DESCRIPTION_CHARS]}"
    # ROME and the French ESCO labels read French only: in another language nothing is inferred from the text.
    french = is_french(text)
    occupations: tuple[str, ...] = ()
    confidences: tuple[float, ...] = ()
    source = "inconnu"
    if offer.rome_code and not hide_occupation:
        occupations, confidences, source = (offer.rome_code,), (1.0,), "offre"
    elif inferer is not None and french:
        occupations, confidences = inferred_occupations(inferer, offer.title, offer.description)
        source = "déduit de l'intitulé" if occupations else source
    required, desired, skills_source = _skills(
        (offer.required_skills, offer.desired_skills),
        skills_occupation(occupations, confidences),
        text,
        taxonomy,
        extractor if french else None,
    )
    return OfferView(
        title=offer.title,
        text=text,
        occupations=occupations,
        occupation_source=source,
        required_skills=required,
        desired_skills=desired,
        skills_source=skills_source,
        experience_years=offer.experience_years,
        contract_types=frozenset(c.value for c in offer.contract_types),
        category=offer.category.value if offer.category else None,
        place=geography.coordinates(offer.commune_insee),
        occupation_confidences=confidences,
        skills_confidence=confidences[0] if skills_source.startswith("métier ROME") else 1.0,
    )


@dataclass(frozen=True)
class OfferReading:
    """What the ranking reads in an offer, in the words a recruiter checks it with."""

    occupations: list[tuple[str, str, float]]  # code, label, probability (1.0: given by the offer), best first
    occupation_source: str
    required: list[str]  # skill labels
    desired: list[str]
    skills_source: str
    corrections: int = 0  # recruiters' corrections of offers with the same title, weighed in the guesses


SHOWN_GUESSES = 3  # a page names the likeliest occupations, not all ten the ranking weighs
SHOWN_FROM = 0.05  # nor guesses too unlikely to help a recruiter correct the offer


def offer_reading(view: OfferView, taxonomy: Taxonomy, *, corrections: int = 0) -> OfferReading:
    """An offer's view in words: its occupation (given, or the likeliest guesses with their probability, and how many
    recruiters' corrections of the same title they weigh) and the skills the ranking compares candidates with."""
    occupations = [
        (code, occupation.label if (occupation := taxonomy.occupation(code)) else code, p)
        for code, p in zip(view.occupations, confidences_of(view.occupations, view.occupation_confidences), strict=True)
        if p >= SHOWN_FROM
    ][:SHOWN_GUESSES]
    required = _one_per_reading(taxonomy.skill_label(code) for code in view.required_skills)
    return OfferReading(
        occupations=occupations,
        occupation_source=view.occupation_source,
        required=required,
        desired=_one_per_reading((taxonomy.skill_label(code) for code in view.desired_skills), after=required),
        skills_source=view.skills_source,
        corrections=corrections if view.occupation_source != "offre" else 0,
    )


def _one_per_reading(labels: Iterable[str], *, after: Iterable[str] = ()) -> list[str]:
    """Each skill once in the words a recruiter reads: ROME holds near-twin items ("Gestion de bases de données",
    "Gestion des bases de données") that are one skill to a reader; labels already shown (``after``) are skipped.
    The ranking keeps every code, since a profile may hold either."""

    def key(label: str) -> tuple[str, ...]:
        return tuple(analyze(label)) or (label,)

    seen = {key(label) for label in after}
    kept = []
    for label in labels:
        if (reading := key(label)) not in seen:
            seen.add(reading)
            kept.append(label)
    return kept


View = TypeVar("View", OfferView, CandidateView)


class KeptViews(Generic[View]):
    """Views of stored records kept by (id, version), the least recently used dropped past ``size``: a version
    never changes, so neither does its view."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._views: OrderedDict[tuple[str, int], View] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, record_id: str, version: int) -> View | None:
        """The kept view of this version of the record, if any."""
        return self.get_many({record_id: version})[record_id]

    def get_many(self, versions: Mapping[str, int]) -> dict[str, View | None]:
        """The kept view of each record id at its version (None where not kept), under one lock."""
        with self._lock:
            found = {record_id: self._views.get((record_id, v)) for record_id, v in versions.items()}
            for record_id, view in found.items():
                if view is not None:
                    self._views.move_to_end((record_id, versions[record_id]))
        return found

    def forget_titled(self, cleaned_title: str) -> int:
        """Drop the views of records with this title (as the occupation classifier cleans titles): its reading of
        the title changed (a recruiter's correction). Returns how many."""
        with self._lock:
            stale = [key for key, view in self._views.items() if clean_title(view.title) == cleaned_title]
            for key in stale:
                del self._views[key]
        return len(stale)

    def _keep(self, record_id: str, version: int, view: View) -> None:
        with self._lock:
            self._views[(record_id, version)] = view
            if len(self._views) > self._size:
                self._views.popitem(last=False)


class OfferViews(KeptViews[OfferView]):
    """Views of stored offers kept by (id, version).

    Building a view may extract skills from the offer's text (~2 ms); a seeker's matches look at up to
    ``retrieval_depth`` offers, so without this cache every page of matches redoes hundreds of them.
    """

    def __init__(
        self,
        *,
        taxonomy: Taxonomy,
        geography: Geography,
        inferer: Callable[[], Inferer | None],
        extractor: Callable[[], SkillExtractor | None],
        size: int = 50_000,
    ) -> None:
        super().__init__(size)
        # The classifier and the extractor take seconds to build: asked for only when a view is missing.
        self._taxonomy, self._geography, self._inferer, self._extractor = taxonomy, geography, inferer, extractor

    def save(self, path: Path, *, key: str) -> int:
        """Write the kept views to ``path`` (atomically), tagged with ``key``; returns how many."""
        with self._lock:
            items = list(self._views.items())
        views = [[offer_id, version, _plain(view)] for (offer_id, version), view in items]
        staging = path.with_name(path.name + ".tmp")
        staging.write_bytes(orjson.dumps({"format": VIEWS_FORMAT, "key": key, "views": views}))
        os.replace(staging, path)
        return len(views)

    def load(self, path: Path, *, key: str) -> int:
        """Keep the views saved in ``path`` when written with this format and ``key``; returns how many."""
        try:
            saved = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return 0
        if saved.get("format") != VIEWS_FORMAT or saved.get("key") != key:
            return 0  # other reference data, classifier or code: rebuilt as needed
        with self._lock:
            for offer_id, version, fields in saved["views"][-self._size :]:
                self._views[(offer_id, version)] = _offer_view_of(fields)
        return len(saved["views"])

    def of(self, offer: Offer) -> OfferView:
        """The view of a stored offer, built and kept when new."""
        view = self.get(offer.id, offer.version)
        if view is None:
            view = offer_view(
                offer,
                taxonomy=self._taxonomy,
                geography=self._geography,
                inferer=self._inferer(),
                extractor=self._extractor(),
            )
            self._keep(offer.id, offer.version, view)
        return view


# Bump when OfferView or how views are built changes (2: every guess kept; 3: no work context; 4: an offer's title
# read alone by the embedding model, not beside other offers).
VIEWS_FORMAT = 4


def _plain(view: OfferView) -> dict[str, Any]:
    fields = dataclasses.asdict(view)
    fields["contract_types"] = sorted(view.contract_types)
    return fields


def _offer_view_of(fields: dict[str, Any]) -> OfferView:
    place = fields["place"]
    return OfferView(
        **{
            **fields,
            "occupations": tuple(fields["occupations"]),
            "required_skills": tuple(fields["required_skills"]),
            "desired_skills": tuple(fields["desired_skills"]),
            "contract_types": frozenset(fields["contract_types"]),
            "place": (place[0], place[1]) if place is not None else None,
            "occupation_confidences": tuple(fields["occupation_confidences"]),
        }
    )


class CandidateViews(KeptViews[CandidateView]):
    """Views of stored profiles kept by (id, version).

    A shortlist reads up to ``retrieval_depth`` profiles: rebuilding each one's record, text and view
    (a validated model, the analysed titles) was most of a shortlist's time at 100k candidates. A
    profile's version changes with every edit, so a kept view is never stale; erased profiles are
    never served from here because the store, read first, no longer lists them.
    """

    def __init__(
        self,
        *,
        taxonomy: Taxonomy,
        geography: Geography,
        inferer: Callable[[], Inferer] | None = None,
        size: int = 100_000,
    ) -> None:
        super().__init__(size)
        self._taxonomy, self._geography = taxonomy, geography
        self._inferer = inferer

    def of(self, candidate: Candidate) -> CandidateView:
        """The view of a stored profile, built and kept when new."""
        view = self.get(candidate.id, candidate.version)
        if view is None:
            text = candidate_text(candidate, self._taxonomy)
            view = candidate_view(
                candidate, candidate_id=candidate.id, text=text, geography=self._geography, inferer=self._inferer
            )
            self._keep(candidate.id, candidate.version, view)
        return view


def candidate_view(
    candidate: CandidateIn,
    *,
    candidate_id: str,
    text: str,
    geography: Geography,
    inferer: Callable[[], Inferer] | None = None,
) -> CandidateView:
    """The profile as the features see it. One that names no occupation (a partner's, often) is read as an offer
    that names none: guesses from its title, each weighed by its confidence (French only). ``inferer`` gives the
    classifier, asked for only then: loading it takes seconds."""
    places = geography.points(candidate.mobility.communes)
    occupations: tuple[str, ...] = tuple(candidate.desired_occupations)
    confidences: tuple[float, ...] = ()
    if not occupations and inferer is not None and is_french(text):
        guesses = inferer().infer(candidate.title, k=TITLE_GUESSES, abstain=False)
        occupations, confidences = tuple(g.code for g in guesses), tuple(g.score for g in guesses)
    return CandidateView(
        id=candidate_id,
        title=candidate.title,
        text=text,
        occupations=occupations,
        occupation_confidences=confidences,
        title_terms=frozenset(analyze(" ".join([candidate.title, *(e.title for e in candidate.experiences)]))),
        skills=frozenset(candidate.skills),
        experience_years=candidate.experience_years,
        contract_types=frozenset(c.value for c in candidate.contract_types),
        education_level=EDUCATION_LEVEL[candidate.education_level] if candidate.education_level else None,
        places=places,
        radius_km=candidate.mobility.radius_km,
        available_from=candidate.available_from,
    )


def offer_view_from_text(
    title: str, text: str, *, taxonomy: Taxonomy, inferer: Inferer, extractor: SkillExtractor
) -> OfferView:
    """An offer known only by its text (e.g. a query of an external BEIR benchmark)."""
    french = is_french(f"{title}. {text}")
    named = title or leading_title(text)
    occupations, confidences = inferred_occupations(inferer, named, text) if french else ((), ())
    required, desired, source = _skills(
        ([], []),
        skills_occupation(occupations, confidences),
        f"{title}. {text}",
        taxonomy,
        extractor if french else None,
    )
    return OfferView(
        title=title,
        text=f"{title}. {text}".strip(". "),
        occupations=occupations,
        occupation_source="déduit de l'intitulé" if occupations else "inconnu",
        required_skills=required,
        desired_skills=desired,
        skills_source=source,
        experience_years=0,
        contract_types=frozenset(),
        category=None,
        place=None,
        occupation_confidences=confidences,
        skills_confidence=confidences[0] if source.startswith("métier ROME") else 1.0,
    )


def candidate_view_from_text(
    doc_id: str,
    title: str,
    text: str,
    *,
    inferer: Inferer,
    extractor: SkillExtractor,
    headline: str = "",
    skills_text: str | None = None,
) -> CandidateView:
    """A candidate known only by the text of their profile (in another language than French, nothing inferred).

    ``headline``: what the person does where the text has no title (a CV's title line or first job listed, as the CV
    reader finds it); else the occupation is read from the text's first words. ``skills_text``: the part of the text
    the skills are read from (a CV without its hobbies), the whole text when not given."""
    french = is_french(f"{title}. {text}")
    named = title or headline
    # A few guesses, each weighed by its confidence, as for a profile that names no occupation: a title read wrong
    # at first place often holds the right occupation second.
    guesses = (
        inferer.infer(named or text[:120], text[:DESCRIPTION_CHARS], k=TITLE_GUESSES, abstain=False) if french else []
    )
    return CandidateView(
        id=doc_id,
        title=title,
        text=f"{title}. {text}".strip(". "),
        occupations=tuple(g.code for g in guesses),
        title_terms=frozenset(analyze(named)),
        skills=frozenset(
            extractor.rome_codes(f"{title}. {text if skills_text is None else skills_text}", [g.code for g in guesses])
        )
        if french
        else frozenset(),
        experience_years=0,
        contract_types=frozenset(),
        education_level=None,
        places=(),
        radius_km=None,
        available_from=None,
        occupation_confidences=tuple(g.score for g in guesses),
    )
