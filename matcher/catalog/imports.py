"""Offers and candidate profiles imported from a file (``matcher import offers|candidates FILE``).

A file is CSV or JSON lines and goes through the partner sync engine (:mod:`matcher.catalog.sync`), so
an import validates each item as a partner push would, reports each item's fate, and is idempotent: the
same file imported again changes nothing. Whose items they are:

- offers belong to the one employer named on the command line (its id, SIREN or exact name); their
  source is ``import:<employer id>``, their reference the item's ``external_id``, so two employers'
  files never touch each other's offers; an item naming another employer is refused;
- candidate profiles have the source ``import`` and need the person's consent, as a partner's do.

JSON lines are the partner sync's envelopes (``{"external_id", "version", "offer"}``, a schema.org
JobPosting, or ``{"external_id", "version", "consent", "profile"}``). A CSV file has one item per row:
``external_id``, ``version``, ``updated_at`` and ``deleted`` columns, ``consent.<field>`` columns for
profiles, and the offer's or profile's own fields, nested ones dotted (``mobility.communes``); a list
field takes its values separated by ``|``, a cell starting with ``[`` or ``{`` is read as JSON. An item
without ``version`` or ``updated_at`` takes the file's modification time as its version: an edited
file updates what changed, an older copy of it cannot undo a newer import.
"""

from __future__ import annotations

import csv
import io
import json
import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

from pydantic import BaseModel
from sqlalchemy import select

from matcher.access.accounts import Principal, Role
from matcher.catalog.candidate_sync import ConsentProof, sync_candidates
from matcher.catalog.jsonld import is_job_posting
from matcher.catalog.sync import Chunking, FieldError, Status, sync_offers
from matcher.core.bodies import load_json_lines
from matcher.core.errors import InvalidInput, NotFound, Unreadable
from matcher.core.models import CandidateIn, OfferIn
from matcher.core.progress import Progress
from matcher.store.tables import EmployerRow

if TYPE_CHECKING:
    from matcher.runtime import Runtime

SOURCE = "import"
TOP = ("external_id", "version", "updated_at", "deleted")  # envelope columns; every other one is the item's
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class ImportedItem:
    """One item's fate, with the line of the file it starts on."""

    line: int
    external_id: str | None
    status: Status
    entity_id: str | None
    errors: list[FieldError]


@dataclass(frozen=True)
class ImportReport:
    owner: str  # the employer's name (offers) or the source (profiles)
    items: list[ImportedItem]

    @property
    def counts(self) -> dict[Status, int]:
        return {status: sum(1 for i in self.items if i.status is status) for status in Status}

    @property
    def changed(self) -> int:
        counts = self.counts
        return counts[Status.CREATED] + counts[Status.UPDATED] + counts[Status.DELETED]


def employer_of(rt: Runtime, reference: str) -> EmployerRow:
    """The employer an import is for: by id, by SIREN, or by its exact name when no other has it."""
    with rt.store.read() as session:
        row = session.get(EmployerRow, reference)
        if row is None:
            for column in (EmployerRow.siren, EmployerRow.name):
                found = session.scalars(select(EmployerRow).where(column == reference).limit(2)).all()
                if len(found) > 1:
                    raise InvalidInput("employer", f"plusieurs employeurs s'appellent ainsi : {reference}")
                if found:
                    row = found[0]
                    break
        if row is None:
            raise NotFound("employeur", reference)
        session.expunge(row)
        return row


def import_offers(rt: Runtime, *, path: Path, employer: str, progress: Progress | None = None) -> ImportReport:
    """Import the offers of ``path`` for one employer (see the module docstring)."""
    row = employer_of(rt, employer)
    owner = Principal(role=Role.PARTNER, subject=f"{SOURCE}:{row.id}", employer_ids=frozenset({row.id}))
    if len(owner.subject) > 64:  # the store's source column
        raise InvalidInput("employer", f"identifiant d'employeur trop long pour une source d'import : {row.id}")
    lines, items = read_file(path, payload="offer", model=OfferIn)
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("offer"), dict):
            item["offer"].setdefault("employer_id", row.id)
    report = sync_offers(
        rt.store,
        partner=owner,
        items=items,
        taxonomy=rt.taxonomy,
        geography=rt.geography,
        chunking=Chunking.of(rt),
        progress=progress,
    )
    return ImportReport(
        owner=row.name,
        items=[ImportedItem(lines[r.index], r.external_id, r.status, r.offer_id, r.errors) for r in report.items],
    )


def import_candidates(rt: Runtime, *, path: Path, progress: Progress | None = None) -> ImportReport:
    """Import the candidate profiles of ``path``, each with the person's consent (see the module docstring)."""
    owner = Principal(role=Role.PARTNER, subject=SOURCE)
    lines, items = read_file(path, payload="profile", model=CandidateIn, consent=True)
    report = sync_candidates(
        rt.store,
        partner=owner,
        items=items,
        taxonomy=rt.taxonomy,
        geography=rt.geography,
        chunking=Chunking.of(rt),
        progress=progress,
    )
    return ImportReport(
        owner=SOURCE,
        items=[ImportedItem(lines[r.index], r.external_id, r.status, r.candidate_id, r.errors) for r in report.items],
    )


# --- reading a file ------------------------------------------------------------------------------


def read_file(
    path: Path, *, payload: str, model: type[BaseModel], consent: bool = False
) -> tuple[list[int], list[Any]]:
    """(the line each item starts on, the items as sync envelopes) of a CSV or JSON lines file.

    Raises:
        Unreadable: a file that is not UTF-8, a JSON line that does not parse, a CSV file without header.
    """
    data = path.read_bytes()
    if path.suffix.lower() == ".csv":
        lines, items = _csv_items(data, payload=payload, model=model, consent=consent)
    else:
        items = load_json_lines(data)
        text = data.decode("utf-8-sig")
        lines = [number for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    version = int(path.stat().st_mtime * 1000)
    for item in items:
        unversioned = isinstance(item, dict) and item.get("version") is None and item.get("updated_at") is None
        if unversioned and not is_job_posting(item):
            item["version"] = version
    return lines, items


def _csv_items(data: bytes, *, payload: str, model: type[BaseModel], consent: bool) -> tuple[list[int], list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("file", "le fichier n'est pas en UTF-8") from None
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)  # French spreadsheets write ";"
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if not reader.fieldnames or "external_id" not in reader.fieldnames:
        raise Unreadable("file", "la première ligne du CSV doit nommer les colonnes, dont external_id")
    lines, items, start = [], [], reader.line_num + 1
    for row in reader:
        lines.append(start)
        items.append(_envelope(row, payload=payload, model=model, consent=consent))
        start = reader.line_num + 1
    return lines, items


def _envelope(row: dict[str, Any], *, payload: str, model: type[BaseModel], consent: bool) -> dict[str, Any]:
    """A CSV row as a sync envelope: empty cells left out, dotted columns nested, list cells split."""
    envelope: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None or cell is None or not str(cell).strip():
            continue  # a cell beyond the header's columns, or an empty one
        name = column.strip()
        if name in TOP:
            envelope[name] = cell.strip()
            continue
        part, target = payload, model
        if consent and name.startswith("consent."):
            part, target, name = "consent", ConsentProof, name.removeprefix("consent.")
        name = name.removeprefix(f"{payload}.")
        keys = name.split(".")
        node = envelope.setdefault(part, {})
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = _cell(cell, is_list=_is_list(target, keys))
    return envelope


def _cell(cell: str, *, is_list: bool) -> Any:
    value = cell.strip()
    if value[0] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value  # refused by validation, with the field named
    if is_list:
        return [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()]
    return value


def _is_list(model: type[BaseModel], keys: Sequence[str]) -> bool:
    """Whether the field at ``keys`` of ``model`` (nested models followed) holds a list."""
    field = model.model_fields.get(keys[0])
    if field is None:
        return False
    annotation = field.annotation
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    for option in options:
        if len(keys) == 1 and get_origin(option) is list:
            return True
        if len(keys) > 1 and isinstance(option, type) and issubclass(option, BaseModel):
            return _is_list(option, keys[1:])
    return False
