"""Candidate search says "nothing" rather than showing noise below its relevance floor."""

from matcher.catalog.candidates import create_candidate
from matcher.catalog.search import SearchFilters, SearchIn, search_candidates
from matcher.jobs.runner import process_outbox
from matcher.runtime import Runtime
from tests.factories import candidate_in


def test_unrelated_words_find_nothing_and_say_what_to_relax(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        for _ in range(3):
            create_candidate(session, data=candidate_in(), taxonomy=rt.taxonomy, geography=rt.geography)
    process_outbox(rt)
    found = search_candidates(rt, SearchIn(query="jardinier"))
    assert found.total == 3 and found.message is None
    assert search_candidates(rt, SearchIn(query="chapelier cybersécurité")).total == 0  # not 3 weak neighbours
    filters = SearchFilters(commune_insee="07186", contract_types=["cdi"])
    empty = search_candidates(rt, SearchIn(query="chapelier cybersécurité", filters=filters))
    assert empty.total == 0 and empty.items == []
    assert empty.relax == ["commune_insee", "contract_types", "query"]
    assert empty.message and empty.message.startswith("Aucun profil ne correspond")


def test_without_words_there_is_no_floor(rt: Runtime) -> None:
    with rt.store.transaction() as session:
        create_candidate(session, data=candidate_in(), taxonomy=rt.taxonomy, geography=rt.geography)
    process_outbox(rt)
    assert search_candidates(rt, SearchIn()).total == 1
