"""What each page of the direct approach shows, gathered by one use case in one read session.

The pages call these instead of chaining the single-purpose use cases (each of which opens its own
session and repeats the tenancy check): an offer the principal does not act for is NotFound here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from matcher.access import tenancy
from matcher.access.accounts import Principal
from matcher.approach import approaches, measures, pipeline
from matcher.approach.approaches import Approach, Preferences, Source, Template
from matcher.approach.measures import Measures
from matcher.approach.pipeline import Entry, Interest, Pipeline, Stage
from matcher.catalog.employers import list_employers
from matcher.core.errors import MatcherError, NotFound
from matcher.core.models import Offer
from matcher.core.records import offer_from_row
from matcher.shortlists import kept
from matcher.shortlists.kept import Place, ShortlistPage

if TYPE_CHECKING:
    from matcher.runtime import Runtime

FORM_PLACES = 100  # places of the latest shortlist offered on the approach form


@dataclass(frozen=True)
class Found:
    """A profile found by a search, proposed for an approach."""

    id: str
    name: str
    title: str


@dataclass(frozen=True)
class ApproachForm:
    """The approach form of an offer: who may be approached, and the message template."""

    offer: Offer
    template: Template
    shortlist: ShortlistPage | None  # the first page of the latest kept shortlist; None before any
    places: list[Place]  # its places, less those who turned approaches off
    interested: list[Entry]  # candidates who said they were interested, less those closed to approaches
    searched: Found | None  # the profile found by a search, if visible and open to approaches
    stages: dict[str, Stage]  # each candidate's stage in the offer's pipeline


def approach_form(rt: Runtime, *, principal: Principal, offer_id: str, searched_id: str = "") -> ApproachForm:
    """Everything the approach form of an offer the principal acts for shows.

    Raises:
        NotFound: an offer the principal does not act for.
    """
    try:  # its own unit of work: viewing a shortlist is audited
        page: ShortlistPage | None = kept.read(
            rt, principal=principal, offer_id=offer_id, shortlist_id="latest", limit=FORM_PLACES, offset=0
        )
    except NotFound:
        page = None  # none built yet (an offer out of reach is refused just below)
    with rt.store.read() as session:
        row = tenancy.offer_row(session, principal, offer_id)
        board = pipeline.board(session, row)
        interested = [e for e in board.entries if e.stage == Stage.INTERESTED]
        ids = [p.candidate_id for p in page.places] if page else []
        closed = approaches.closed_to_approaches(session, ids + [e.candidate_id for e in interested] + [searched_id])
        searched = None
        if searched_id and searched_id not in closed:
            try:
                profile = tenancy.visible_candidate_row(session, principal, searched_id)
                searched = Found(id=profile.id, name=profile.display_name, title=profile.title)
            except MatcherError:
                searched = None
        return ApproachForm(
            offer=offer_from_row(row),
            template=approaches.template_of(session, offer_id),
            shortlist=page,
            places=[p for p in page.places if p.candidate_id not in closed] if page else [],
            interested=[e for e in interested if e.candidate_id not in closed],
            searched=searched,
            stages={e.candidate_id: e.stage for e in board.entries},
        )


@dataclass(frozen=True)
class PipelineView:
    """An offer's pipeline with its approaches, its measures and the names of who moved each candidate."""

    board: Pipeline
    approaches: dict[str, Approach]  # by candidate id: the latest sent, when there are several
    measures: Measures
    names: dict[str, str]  # account id -> name, for the history steps


def pipeline_view(
    rt: Runtime, *, principal: Principal, offer_id: str, stage: Stage | None = None, source: Source | None = None
) -> PipelineView:
    """The pipeline page of an offer the principal acts for, filtered by one stage and one source.

    Raises:
        NotFound: an offer the principal does not act for.
    """
    with rt.store.read() as session:
        row = tenancy.offer_row(session, principal, offer_id)
        board = pipeline.board(session, row, stages=[stage] if stage else None, source=source)
        actors = {a for e in board.entries for s in e.history for a in [s.actor] if a}
        return PipelineView(
            board=board,
            # of_offer lists the newest first: read it oldest first, so the latest approach stays.
            approaches={a.candidate_id: a for a in reversed(approaches.of_offer(session, offer_id))},
            measures=measures.of_offer(session, offer_id),
            names=pipeline.actor_names(session, actors),
        )


@dataclass(frozen=True)
class SeekerApproaches:
    """A job seeker's approaches, the employers behind them, their preferences and the interests they marked."""

    approaches: list[Approach]
    employers: dict[str, str]  # employer id -> name
    preferences: Preferences
    interests: list[Interest]


def seeker_approaches(rt: Runtime, *, principal: Principal) -> SeekerApproaches:
    """The signed-in job seeker's approaches page.

    Raises:
        NotFound: a seeker with no profile yet.
    """
    candidate_id = tenancy.own_candidate_id(principal)
    with rt.store.read() as session:
        mine = approaches.of_candidate(session, candidate_id)
        behind = {a.employer_id for a in mine}
        return SeekerApproaches(
            approaches=mine,
            employers={e.id: e.name for e in list_employers(session) if e.id in behind},
            preferences=approaches.preferences(session, candidate_id=candidate_id),
            interests=pipeline.interests_of(session, candidate_id),
        )
