"""From the store to a shortlist with the deterministic embedder: outbox, index, filters, explanations."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.catalog.candidates import create_candidate, list_candidates, update_candidate
from matcher.catalog.offers import create_offer, list_offers
from matcher.core import records
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.models import CandidateIn, Visibility
from matcher.core.settings import REPO_ROOT, MatcherSettings
from matcher.demo.samples import demo_offers, seed_demo
from matcher.embedding.hashing import HashingEmbedder
from matcher.jobs.runner import pending_count, process_outbox, rebuild_indices
from matcher.ranking.pipeline import build_matches, build_shortlist, warm_up
from matcher.runtime import OFFER_VIEWS_FILE, Runtime
from matcher.store.tables import OfferRow
from tests.conftest import runtime_settings
from tests.factories import candidate_in, employer, offer_in


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder (store and index) with the demo loaded and indexed, built once for the module."""
    folder = tmp_path_factory.mktemp("demo")
    runtime = Runtime.open(runtime_settings(folder), embedder=HashingEmbedder())
    runtime.ensure_indices()
    assert seed_demo(runtime, candidates=300)
    assert not seed_demo(runtime)  # loading twice is a no-op
    report = process_outbox(runtime)
    assert report.failed == {} and pending_count(runtime) == 0
    runtime.close()
    return folder


@pytest.fixture
def demo(seeded: Path, settings: MatcherSettings) -> Iterator[Runtime]:
    """A runtime on a private copy of the seeded demo: each test may write to it."""
    shutil.copytree(seeded, settings.data_dir, dirs_exist_ok=True)
    runtime = Runtime.open(settings, embedder=HashingEmbedder())
    yield runtime
    runtime.close()


def test_outbox_reaches_the_index_and_only_visible_candidates_are_indexed(demo: Runtime) -> None:
    with demo.store.read() as session:
        _, offers = list_offers(session, limit=1)
        visible = list_candidates(session, visibility=Visibility.EMPLOYERS, limit=1)[1]
    with demo.store.read() as session:
        loaded = list_candidates(session, limit=1)[1]
    assert demo.backend.count(OFFERS) == offers == len(demo_offers(REPO_ROOT / "data"))
    assert demo.backend.count(CANDIDATES) == visible < loaded


def test_shortlist_respects_mobility_and_visibility_and_explains_every_place(demo: Runtime) -> None:
    offer_id = "ft-191YQPH"  # a real France Travail offer in Aubenas (a hospital, kept in the demo)
    shortlist = build_shortlist(demo, offer_id=offer_id, size=10)
    assert shortlist.entries
    with demo.store.read() as session:
        offer = records.get_offer(session, offer_id=offer_id)
        candidates = records.get_candidates(session, candidate_ids=[e.candidate_id for e in shortlist.entries])
    workplace = demo.geography.get(offer.commune_insee)
    assert workplace is not None
    for entry in shortlist.entries:
        candidate = candidates[entry.candidate_id]
        assert candidate.visibility == "employers"
        nearest = min(
            demo.geography.distance_km(workplace, demo.geography.get(c))  # type: ignore[arg-type]
            for c in candidate.mobility.communes
        )
        assert nearest <= candidate.mobility.radius_km
        assert entry.explanation.distance_km == pytest.approx(nearest, abs=0.06)
        assert sum(c.contribution for c in entry.explanation.contributions) == pytest.approx(entry.score, abs=1e-12)
        expected = set(offer.required_skills + offer.desired_skills)
        have = set(candidate.skills)
        assert {demo.taxonomy.skill_label(s) for s in expected & have} == set(entry.explanation.matched_skills)
    assert [e.score for e in shortlist.entries] == sorted((e.score for e in shortlist.entries), reverse=True)


def test_hiding_a_profile_removes_it_from_shortlists(demo: Runtime) -> None:
    shortlist = build_shortlist(demo, offer_id="ft-191YQPH", size=5)
    top = shortlist.entries[0].candidate_id
    with demo.store.transaction() as session:
        current = records.get_candidate(session, candidate_id=top)
        data = CandidateIn.model_validate(
            {**current.model_dump(include=set(CandidateIn.model_fields)), "visibility": "private"}
        )
        update_candidate(session, candidate_id=top, data=data, taxonomy=demo.taxonomy, geography=demo.geography)
    process_outbox(demo)
    assert top not in {e.candidate_id for e in build_shortlist(demo, offer_id="ft-191YQPH", size=50).entries}


def test_matches_for_a_candidate_lie_in_their_mobility_area(rt: Runtime) -> None:
    eid = employer(rt)
    refs = {"taxonomy": rt.taxonomy, "geography": rt.geography}
    with rt.store.transaction() as session:
        near = create_offer(session, data=offer_in(eid, commune_insee="07019"), **refs)  # Aubenas
        create_offer(session, data=offer_in(eid, commune_insee="75056"), **refs)  # Paris: too far
        closed = create_offer(session, data=offer_in(eid, status="closed"), **refs)
        candidate = create_candidate(session, data=candidate_in(), **refs)
    process_outbox(rt)
    matches = build_matches(rt, candidate_id=candidate.id)
    assert [m.offer_id for m in matches.entries] == [near.id]
    assert closed.id not in {m.offer_id for m in matches.entries}
    assert matches.entries[0].explanation.occupation_relation == "same"
    assert matches.entries[0].explanation.matched_skills == [rt.taxonomy.skill_label("100063")]


def test_kept_offer_views_give_the_same_matches_and_follow_the_store(demo: Runtime, settings: MatcherSettings) -> None:
    """Matches read offers' kept views by version: the same entries as from whole offers, an edit seen at
    once (its new version's view), an offer closed in the store gone before the index catches up."""
    with demo.store.read() as session:
        candidate_id = list_candidates(session, limit=1)[0][0].id
    first = build_matches(demo, candidate_id=candidate_id)
    again = build_matches(demo, candidate_id=candidate_id)  # every offer's view now kept
    cold = Runtime.open(settings, embedder=HashingEmbedder())
    try:
        fresh = build_matches(cold, candidate_id=candidate_id)
    finally:
        cold.close()
    assert len(first.entries) >= 3
    assert (
        [e.model_dump() for e in again.entries]
        == [e.model_dump() for e in first.entries]
        == [e.model_dump() for e in fresh.entries]
    )
    edited, closed = first.entries[0].offer_id, first.entries[1].offer_id
    with demo.store.transaction() as session:
        session.get(OfferRow, closed).status = "closed"
        row = session.get(OfferRow, edited)
        row.title, row.version = "Intitulé modifié", row.version + 1
    # The outbox is not processed: the index still returns both, the store says otherwise.
    entries = {e.offer_id: e for e in build_matches(demo, candidate_id=candidate_id).entries}
    assert closed not in entries and entries[edited].title == "Intitulé modifié"
    assert demo.offer_views.get_many({edited: row.version})[edited] is not None


def test_rebuild_gives_back_the_same_index(demo: Runtime) -> None:
    before = {i: demo.backend.versions(i) for i in (OFFERS, CANDIDATES)}
    rebuild_indices(demo)
    assert {i: demo.backend.versions(i) for i in (OFFERS, CANDIDATES)} == before


def test_kept_candidate_views_give_the_same_shortlist_and_follow_edits(
    demo: Runtime, settings: MatcherSettings
) -> None:
    first = build_shortlist(demo, offer_id="ft-191YQPH", size=20)
    again = build_shortlist(demo, offer_id="ft-191YQPH", size=20)  # every view now comes from the kept ones
    cold = Runtime.open(settings, embedder=HashingEmbedder())  # nothing kept yet
    try:
        fresh = build_shortlist(cold, offer_id="ft-191YQPH", size=20)
    finally:
        cold.close()
    assert (
        [e.model_dump() for e in again.entries]
        == [e.model_dump() for e in first.entries]
        == [e.model_dump() for e in fresh.entries]
    )
    top = first.entries[0]
    with demo.store.transaction() as session:
        current = records.get_candidate(session, candidate_id=top.candidate_id)
        data = CandidateIn.model_validate(
            {**current.model_dump(include=set(CandidateIn.model_fields)), "title": "Infirmier de bloc opératoire"}
        )
        update_candidate(
            session, candidate_id=top.candidate_id, data=data, taxonomy=demo.taxonomy, geography=demo.geography
        )
    entries = {e.candidate_id: e for e in build_shortlist(demo, offer_id="ft-191YQPH", size=50).entries}
    edited = entries[top.candidate_id]
    assert edited.candidate_version == (top.candidate_version or 0) + 1
    assert edited.title == "Infirmier de bloc opératoire"


def test_a_profile_closed_in_the_store_leaves_shortlists_before_the_index_catches_up(demo: Runtime) -> None:
    top = build_shortlist(demo, offer_id="ft-191YQPH", size=5).entries[0].candidate_id  # its view is now kept
    with demo.store.transaction() as session:
        current = records.get_candidate(session, candidate_id=top)
        data = CandidateIn.model_validate(
            {**current.model_dump(include=set(CandidateIn.model_fields)), "visibility": "private"}
        )
        update_candidate(session, candidate_id=top, data=data, taxonomy=demo.taxonomy, geography=demo.geography)
    # The outbox is not processed: the index still returns the profile, the store no longer opens it.
    assert top not in {e.candidate_id for e in build_shortlist(demo, offer_id="ft-191YQPH", size=50).entries}


def test_offer_views_persisted_at_start_reload_to_the_same_views_and_shortlists(
    demo: Runtime, settings: MatcherSettings
) -> None:
    built = warm_up(demo)
    assert demo.save_offer_views() == built > 0
    before = build_shortlist(demo, offer_id="ft-191YQPH", size=20)
    with demo.store.read() as session:
        offers = [records.offer_from_row(r) for r in session.query(OfferRow).filter(OfferRow.status == "published")]
    later = Runtime.open(settings, embedder=HashingEmbedder())  # a later start on the same data folder
    try:
        assert [later.offer_views.of(o) for o in offers] == [demo.offer_views.of(o) for o in offers]
        # Nothing was rebuilt: the occupation classifier and the skills extractor were never needed.
        assert "inferer" not in later.__dict__ and "extractor" not in later.__dict__
        after = build_shortlist(later, offer_id="ft-191YQPH", size=20)
        assert [e.model_dump() for e in after.entries] == [e.model_dump() for e in before.entries]
    finally:
        later.close()
    # Views written from other reference data are not read.
    stale = Runtime.open(settings, embedder=HashingEmbedder())
    try:
        assert stale.offer_views.load(settings.data_dir / OFFER_VIEWS_FILE, key="other reference data") == 0
    finally:
        stale.close()


def test_kept_offer_views_are_read_again_when_the_model_reading_titles_changes(
    demo: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The classifier reads titles' meaning with the embedding model its manifest names: a retrained model (even
    before the classifier is refitted) makes the kept views stale."""
    import matcher.runtime

    shipped = REPO_ROOT / "matcher" / "models"
    models = tmp_path / "models"
    shutil.copytree(shipped / "french-int8", models / "french-int8")
    shutil.copy(shipped / "occupations.json", models / "occupations.json")
    monkeypatch.setattr(matcher.runtime, "CLASSIFIER_PATH", models / "occupations.json")
    before = demo.offer_views_key()
    assert demo.offer_views_key() == before
    (models / "french-int8" / "model.onnx").write_bytes(b"another model")
    assert demo.offer_views_key() != before
