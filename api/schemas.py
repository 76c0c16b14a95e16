"""Response envelopes shared by the routers (resources themselves are the domain models)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class JobTitleOut(BaseModel):
    code: str
    label: str
    rome: str
    rome_label: str


class Health(BaseModel):
    status: str
    store: str
    index: dict[str, int]
    pending_jobs: int
