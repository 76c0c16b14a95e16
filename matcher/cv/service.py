"""The seeker's CV use cases: read a CV into a draft, keep the file on request, give it back, forget it.

Reading stores nothing. A file is kept only when the seeker asks and already has a profile: it is
then one row beside the profile, exported (its description) and erased with it, and follows the
profile's retention since retention erases through the same path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from matcher.access import tenancy
from matcher.access.accounts import Principal, Role
from matcher.core.errors import Conflict, Forbidden, NotFound
from matcher.cv.draft import Draft
from matcher.cv.extract import CvFormat, extract_text
from matcher.store.tables import CvFileRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

MEDIA_TYPES = {
    CvFormat.PDF: "application/pdf",
    CvFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    CvFormat.ODT: "application/vnd.oasis.opendocument.text",
    CvFormat.TEXT: "text/plain; charset=utf-8",
}
KEEP_NEEDS_PROFILE = "créez d'abord votre profil, puis déposez à nouveau votre CV pour le conserver"


class CvDraftOut(BaseModel):
    """A CV read into a draft: nothing is saved until the seeker saves a profile (``PUT /me/profile``)."""

    draft: Draft
    profile: dict[str, Any]
    kept: bool


@dataclass(frozen=True)
class KeptCv:
    filename: str
    media_type: str
    content: bytes
    stored_at: datetime


def _seeker(principal: Principal) -> None:
    if principal.role is not Role.SEEKER:
        raise Forbidden("réservé aux candidats")


def _safe_name(filename: str, fmt: CvFormat) -> str:
    stem = PurePosixPath(filename.replace("\\", "/")).stem
    stem = "".join(ch for ch in stem if ch.isalnum() or ch in " -_.")[:80].strip() or "cv"
    return f"{stem}.{fmt.value}"


def read_cv(
    rt: Runtime, *, principal: Principal, content: bytes, filename: str, keep: bool = False, today: date | None = None
) -> CvDraftOut:
    """Read a CV (in the limited worker) into a draft; keep the file only when asked and a profile exists."""
    _seeker(principal)
    if keep and principal.candidate_id is None:
        raise Conflict(KEEP_NEEDS_PROFILE, field="keep")
    fmt, text = extract_text(content, filename)
    draft = rt.cv_reader.read(text, fmt=fmt.value, today=today)
    if keep:
        candidate_id = tenancy.own_candidate_id(principal)
        with rt.store.transaction() as session:
            row = session.get(CvFileRow, candidate_id) or CvFileRow(candidate_id=candidate_id)
            row.filename, row.media_type = _safe_name(filename, fmt), MEDIA_TYPES[fmt]
            row.content, row.size, row.stored_at = content, len(content), datetime.now(UTC)
            session.merge(row)
    return CvDraftOut(draft=draft, profile=draft.profile(), kept=keep)


def kept_cv(rt: Runtime, *, principal: Principal) -> KeptCv:
    """The CV file the seeker asked to keep (NotFound when none is kept)."""
    _seeker(principal)
    candidate_id = tenancy.own_candidate_id(principal)
    with rt.store.read() as session:
        row = session.get(CvFileRow, candidate_id)
        if row is None:
            raise NotFound("CV", "me")
        return KeptCv(row.filename, row.media_type, row.content, row.stored_at)


def forget_cv(rt: Runtime, *, principal: Principal) -> bool:
    """Delete the kept CV file; True when there was one."""
    _seeker(principal)
    candidate_id = tenancy.own_candidate_id(principal)
    with rt.store.transaction() as session:
        row = session.get(CvFileRow, candidate_id)
        if row is not None:
            session.delete(row)
        return row is not None
