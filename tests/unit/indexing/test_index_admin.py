"""Index administration on the embedded backend: store/index check, replay, migrate (= rebuild), CLI exit codes."""

from __future__ import annotations

import numpy as np
import pytest

from indices.protocol import Document
from matcher.catalog import candidates, offers
from matcher.core import records
from matcher.core.indexes import CANDIDATES, OFFERS
from matcher.core.models import Visibility
from matcher.core.settings import MatcherSettings
from matcher.indexing.admin import check_index, check_indices, migrate_indices, replay
from matcher.jobs.runner import IndexingReport, process_outbox
from matcher.runtime import Runtime
from tests.factories import candidate_in, cli_on, employer, offer_in


@pytest.fixture
def filled(rt: Runtime) -> Runtime:
    """Three offers and four candidates (one private), all indexed."""
    employer_id = employer(rt)
    with rt.store.transaction() as session:
        for n in range(3):
            offers.create_offer(
                session,
                offer_id=f"off_{n}",
                data=offer_in(employer_id, title=f"Jardinier {n}"),
                taxonomy=rt.taxonomy,
                geography=rt.geography,
            )
        for n in range(4):
            visibility = Visibility.PRIVATE if n == 3 else Visibility.EMPLOYERS
            candidates.create_candidate(
                session,
                candidate_id=f"cand_{n}",
                data=candidate_in(title=f"Jardinier {n}", visibility=visibility),
                taxonomy=rt.taxonomy,
                geography=rt.geography,
            )
    assert process_outbox(rt).failed == {}
    return rt


def change_the_store(rt: Runtime) -> None:
    """One missing, one stale and two extra records, none of them indexed yet."""
    with rt.store.transaction() as session:
        employer_id = records.get_offer(session, offer_id="off_0").employer_id
        offers.update_offer(
            session,
            offer_id="off_1",
            data=offer_in(employer_id, title="Jardinier en chef"),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )
        offers.delete_offer(session, offer_id="off_2")
        candidates.create_candidate(
            session, candidate_id="cand_new", data=candidate_in(), taxonomy=rt.taxonomy, geography=rt.geography
        )
        candidates.update_candidate(
            session,
            candidate_id="cand_0",
            data=candidate_in(visibility=Visibility.PRIVATE),
            taxonomy=rt.taxonomy,
            geography=rt.geography,
        )


def test_a_caught_up_index_is_consistent(filled: Runtime) -> None:
    offers, candidates = check_indices(filled)
    assert offers.consistent and (offers.expected, offers.indexed) == (3, 3)
    # The private profile is in the store but never in the index: not a difference.
    assert candidates.consistent and (candidates.expected, candidates.indexed) == (3, 3)


def test_check_names_missing_stale_and_extra_ids(filled: Runtime) -> None:
    change_the_store(filled)
    offers = check_index(filled, OFFERS)
    candidates = check_index(filled, CANDIDATES)
    assert (offers.missing, offers.stale, offers.extra) == ([], ["off_1"], ["off_2"])
    assert (candidates.missing, candidates.stale, candidates.extra) == (["cand_new"], [], ["cand_0"])
    assert not offers.consistent and not candidates.consistent
    process_outbox(filled)
    assert all(c.consistent for c in check_indices(filled))


def test_replay_fixes_every_difference_and_tombstones_hold(filled: Runtime) -> None:
    change_the_store(filled)
    for index in (OFFERS, CANDIDATES):
        again, removed = replay(filled, check_index(filled, index), IndexingReport())
        assert (again, removed) == (1, 1)
        assert check_index(filled, index).consistent
    # The outbox rows of those changes arrive late: nothing regresses.
    process_outbox(filled)
    assert all(c.consistent for c in check_indices(filled))
    assert filled.backend.versions(OFFERS)["off_1"] == 2


def test_migrate_on_the_embedded_backend_rebuilds_from_the_store(filled: Runtime) -> None:
    change_the_store(filled)
    stray = Document("cand_ghost", 7, "fantôme", np.eye(1, filled.embedder.dims, dtype=np.float32)[0])
    filled.backend.upsert(CANDIDATES, [stray])
    filled.backend.delete(OFFERS, [("off_0", 1)])
    reports = migrate_indices(filled)
    assert [r.index for r in reports] == [OFFERS, CANDIDATES]
    for report in reports:
        assert report.new is None and report.old == []
        assert report.check.consistent
    assert filled.backend.versions(OFFERS) == {"off_0": 1, "off_1": 2}
    assert set(filled.backend.versions(CANDIDATES)) == {"cand_1", "cand_2", "cand_new"}


def test_cli_check_exits_1_on_a_difference_and_migrate_repairs(
    filled: Runtime, settings: MatcherSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled.close()  # the CLI opens its own runtime on the same files
    cli = cli_on(settings, monkeypatch)
    result = cli(["index", "check"])
    assert result.exit_code == 0, result.output
    assert "candidates: cohérent ; store 3, index 3" in result.output
    change_the_store(filled)
    result = cli(["index", "check"])
    assert result.exit_code == 1
    assert "offers: INCOHÉRENT" in result.output and "en trop: off_2" in result.output
    result = cli(["index", "migrate"])
    assert result.exit_code == 0, result.output
    assert cli(["index", "check"]).exit_code == 0
