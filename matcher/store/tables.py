"""SQL tables. JSON columns hold small lists that are always read with their row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class EmployerRow(Base):
    __tablename__ = "employers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    siren: Mapped[str | None] = mapped_column(String(9))


class RecruiterRow(Base):
    __tablename__ = "recruiters"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class PartnerRow(Base):
    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    employer_ids: Mapped[list[Any]] = mapped_column(default=list)


class OfferRow(Base):
    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_source_ref", "source", "external_ref", unique=True),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    commune_insee: Mapped[str] = mapped_column(String(5))
    contract_types: Mapped[list[Any]] = mapped_column(default=list)
    category: Mapped[str | None] = mapped_column(String(1))
    rome_code: Mapped[str | None] = mapped_column(String(5), index=True)
    required_skills: Mapped[list[Any]] = mapped_column(default=list)
    desired_skills: Mapped[list[Any]] = mapped_column(default=list)
    experience_years: Mapped[float] = mapped_column(Float, default=0)
    remote_days_per_week: Mapped[float] = mapped_column(Float, default=0)
    salary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    published_at: Mapped[str | None] = mapped_column(String(10))
    closes_at: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(64), default="direct")
    external_ref: Mapped[str | None] = mapped_column(String(128))
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CandidateRow(Base):
    __tablename__ = "candidates"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    display_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    desired_occupations: Mapped[list[Any]] = mapped_column(default=list)
    skills: Mapped[list[Any]] = mapped_column(default=list)
    experiences: Mapped[list[Any]] = mapped_column(default=list)
    education_level: Mapped[str | None] = mapped_column(String(16))
    languages: Mapped[list[Any]] = mapped_column(default=list)
    driving_licences: Mapped[list[Any]] = mapped_column(default=list)
    mobility: Mapped[dict[str, Any]] = mapped_column(JSON)
    available_from: Mapped[str | None] = mapped_column(String(10))
    contract_types: Mapped[list[Any]] = mapped_column(default=list)
    visibility: Mapped[str] = mapped_column(String(16), index=True)
    consented_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackRow(Base):
    """A recruiter's decision on a shortlisted candidate. Append-only: a new decision adds a row."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_pair", "offer_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    offer_id: Mapped[str] = mapped_column(String(64))
    candidate_id: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    recruiter_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxRow(Base):
    """Work owed to the indexes, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(32))  # offer | candidate
    entity_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # upsert | delete
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


class EmbeddingRow(Base):
    """Content-hash cache: a text already embedded by a model is never embedded again."""

    __tablename__ = "embedding_cache"

    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class SettingRow(Base):
    """Small key/value facts about this installation (e.g. whether the demo data was loaded)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    flag: Mapped[bool] = mapped_column(Boolean, default=False)
