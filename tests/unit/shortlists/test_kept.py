"""Kept shortlists as use cases: the size bound comes from the settings, and a build reads its offer once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from matcher.access.accounts import Principal, Role
from matcher.core.errors import InvalidInput, NotFound
from matcher.runtime import Runtime
from matcher.shortlists.kept import build, list_for_offer
from matcher.store.tables import AuditRow, ShortlistRow
from tests.factories import count, shortlisted


def recruiter(*employer_ids: str) -> Principal:
    return Principal(role=Role.RECRUITER, subject="acc_rh", employer_ids=frozenset(employer_ids))


@contextmanager
def offer_reads(rt: Runtime) -> Iterator[list[str]]:
    """The SQL statements that read the offers table while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM offers" in statement:
            seen.append(statement)

    event.listen(rt.store.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(rt.store.engine, "before_cursor_execute", note)


def test_a_size_above_the_setting_is_refused_and_nothing_is_kept(rt: Runtime) -> None:
    employer_id, offer_id = shortlisted(rt, candidates=6)
    rt.settings.max_shortlist_size = 4
    with pytest.raises(InvalidInput) as refused:
        build(rt, principal=recruiter(employer_id), offer_id=offer_id, size=5)
    assert refused.value.field == "size" and "de 1 à 4 places" in refused.value.detail
    assert count(rt, ShortlistRow) == 0 and count(rt, AuditRow) == 0
    kept = build(rt, principal=recruiter(employer_id), offer_id=offer_id, size=4)
    assert kept.size == 4


def test_without_a_size_the_setting_decides(rt: Runtime) -> None:
    employer_id, offer_id = shortlisted(rt, candidates=12)
    rt.settings.shortlist_size = 3
    assert build(rt, principal=recruiter(employer_id), offer_id=offer_id).size == 3


def test_a_build_reads_its_offer_once_and_checks_the_tenant_first(rt: Runtime) -> None:
    employer_id, offer_id = shortlisted(rt, candidates=6)
    with offer_reads(rt) as reads:
        build(rt, principal=recruiter(employer_id), offer_id=offer_id, size=5)
    assert len(reads) == 1
    with pytest.raises(NotFound):
        build(rt, principal=recruiter("emp_other"), offer_id=offer_id, size=5)
    with pytest.raises(NotFound):
        list_for_offer(rt, principal=recruiter("emp_other"), offer_id=offer_id)
    assert len(list_for_offer(rt, principal=recruiter(employer_id), offer_id=offer_id)) == 1
