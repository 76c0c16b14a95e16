"""Response envelopes shared by the routers (resources themselves are the domain models)."""

from __future__ import annotations

from datetime import date
from typing import Generic, TypeVar

from pydantic import BaseModel

from matcher.core.models import ContractType, EducationLevel, Experience, MobilityArea

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


class SkillOut(BaseModel):
    code: str
    label: str
    kind: str


class CandidateCard(BaseModel):
    """A profile as a recruiter sees it: no visibility, consent or source (those are the candidate's)."""

    id: str
    display_name: str
    title: str
    summary: str
    desired_occupations: list[str]
    skills: list[str]
    experiences: list[Experience]
    education_level: EducationLevel | None
    languages: list[str]
    driving_licences: list[str]
    mobility: MobilityArea
    available_from: date | None
    contract_types: list[ContractType]
