"""SQL tables. JSON columns hold small lists that are always read with their row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored with its time zone, always read back as aware UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # the code writes UTC; a naive value can only mean UTC
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime(),
    }


class EmployerRow(Base):
    __tablename__ = "employers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    siren: Mapped[str | None] = mapped_column(String(9))
    # Per-employer settings: AI ranking switch (off: plain filtered search), HR webhook, retention.
    ai_ranking: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))  # HMAC key: must be readable to sign
    retention_not_hired_days: Mapped[int] = mapped_column(Integer, default=90)
    retention_pool_days: Mapped[int] = mapped_column(Integer, default=730)


class PartnerRow(Base):
    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    employer_ids: Mapped[list[Any]] = mapped_column(default=list)


class OfferRow(Base):
    __tablename__ = "offers"
    # A reference is unique for one source and one employer, never across employers: two employers (or a
    # partner serving several) may use the same reference without ever learning of each other.
    __table_args__ = (Index("ix_offers_source_owner_ref", "source", "employer_id", "external_ref", unique=True),)

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
    closed_at: Mapped[datetime | None] = mapped_column()  # end of the recruitment process (retention clock)
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
    talent_pool_consented_at: Mapped[datetime | None] = mapped_column()  # kept 2 years after last contact
    last_contact_at: Mapped[datetime | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(64), default="direct")  # "direct" or a partner id
    external_ref: Mapped[str | None] = mapped_column(String(128))
    # The account whose holder created this profile themselves (None for profiles a partner or an admin
    # brought): unique, so one account owns at most one profile, and erasure finds it even unlinked.
    owner_account_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # Partner-brought profiles: the person's consent as the partner recorded it (date, channel, scope,
    # duration), and the hash of the one-time code that lets the person take the profile over.
    partner_consent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    link_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_code_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CvFileRow(Base):
    """A CV file kept because its owner asked: one per profile, erased with it."""

    __tablename__ = "cv_files"

    candidate_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


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
    request_id: Mapped[str | None] = mapped_column(String(64))  # the request that wrote it (logs only)


class EmbeddingRow(Base):
    """Content-hash cache: a text already embedded by a model is never embedded again."""

    __tablename__ = "embedding_cache"

    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    # The candidate whose profile text this is (None for offers and reference data): erasure removes the
    # vectors of every version of a profile, not only the current one.
    owner: Mapped[str | None] = mapped_column(String(64), index=True)


class SettingRow(Base):
    """Small key/value facts about this installation (e.g. whether the demo data was loaded)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    flag: Mapped[bool] = mapped_column(Boolean, default=False)


# --- people and access (issue 5) -------------------------------------------------------------


class AccountRow(Base):
    """A person who signs in: an admin, a recruiter (of one or several employers) or a job seeker."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # admin | recruiter | seeker
    password_hash: Mapped[str] = mapped_column(String(255))
    employer_ids: Mapped[list[Any]] = mapped_column(default=list)  # recruiters: one, or several for a CDG
    # Seekers: their profile; unique, so a profile has at most one account (erasing one never erases another).
    candidate_id: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Page sessions hold the generation they signed in with; signing out, a new password or disabling
    # the account increments it, which ends every session holding an older one (a copied cookie too).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # False only for a job seeker who signed up and has not yet followed the link mailed to them (they cannot
    # sign in until then); accounts an admin creates start verified.
    email_verified: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Self sign-up: when the person accepted the information given and the processing it describes.
    sign_up_consent_at: Mapped[datetime | None] = mapped_column()


class AccountTokenRow(Base):
    """A single-use, expiring link mailed to an account's holder: confirm the address, or choose a new password.

    Only a SHA-256 of the link's secret is kept; the secret itself is derived from ``id`` with a key of the
    service's own, so the mail task can write the link after the commit while the store never holds it.
    """

    __tablename__ = "account_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # verify | reset
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()  # followed, or replaced by a later link


class ApiKeyRow(Base):
    """A partner's API key. Only a hash of the secret is kept; ``id`` is the public prefix."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class SyncItemRow(Base):
    """What a partner last sent for one of its listings: makes bulk sync idempotent."""

    __tablename__ = "sync_items"

    partner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # offer | candidate
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    entity_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(BigInteger)  # the partner's own version (or updated_at as epoch ms)
    content_hash: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None] = mapped_column()


class ChangeRow(Base):
    """The change feed partners pull (``GET .../changes?since=cursor``); ``seq`` is the cursor."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_partner_seq", "partner_id", "kind", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # created | updated | deleted
    version: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedSearchRow(Base):
    """A recruiter's saved candidate search, or a job seeker's offer alert (with a frequency)."""

    __tablename__ = "saved_searches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # candidates (recruiter) | offers (seeker alert)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(String(500), default="")
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    frequency: Mapped[str] = mapped_column(String(16), default="none")  # none | daily | weekly
    last_sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShortlistRow(Base):
    """A shortlist as built: who asked, which model, which candidates in which order, and why."""

    __tablename__ = "shortlists"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(64), index=True)
    employer_id: Mapped[str] = mapped_column(String(64), index=True)
    offer_version: Mapped[int] = mapped_column(Integer)
    built_by: Mapped[str | None] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    ranking: Mapped[str] = mapped_column(String(16))  # model | search (AI ranking switched off)
    model_version: Mapped[str | None] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    entries: Mapped[list[Any]] = mapped_column(default=list)  # [{candidate_id, version, rank, score, explanation}]


# --- jobs, notifications, governance (issues 6 and 8) ------------------------------------------


class DeliveryRow(Base):
    """A signed webhook message owed to an employer (e.g. a shortlist was built), retried until acknowledged."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    employer_id: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class DeliveryAttemptRow(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[float] = mapped_column(Float, default=0)


class NotificationRow(Base):
    """A message to a job seeker (an alert digest): one per seeker per period, whatever the number of offers."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_period", "account_id", "period", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))  # e.g. 2026-11-26 (daily) or 2026-W48 (weekly)
    channel: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # Refused for good by the mail server (a bad address): not tried again; why, addresses masked.
    refused_at: Mapped[datetime | None] = mapped_column()
    refusal: Mapped[str | None] = mapped_column(String(500))


class DeadLetterRow(Base):
    """A background task that kept failing after its retries; an admin can list and replay it."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    replayed_at: Mapped[datetime | None] = mapped_column()


class ErasureRow(Base):
    """Tombstone of an erased person or listing: every write path refuses to bring it back."""

    __tablename__ = "erasures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of kind:id or kind:source:external_ref
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))  # request | retention
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditRow(Base):
    """Append-only audit log; each row's hash covers the previous one, so an edit breaks the chain."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)  # shortlist.built, decision… (audit.py)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class PseudonymRow(Base):
    """A person's audit pseudonym and the random key it is computed with (HMAC-SHA256 of the candidate id).

    The audit log names people only by pseudonym; erasure deletes this row, and with the key gone the
    pseudonym in past log rows can no longer be linked to anyone (crypto-shredding).
    """

    __tablename__ = "audit_pseudonyms"

    candidate_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitoringRow(Base):
    """Self-declared, optional equality-monitoring data. Never read by ranking: only by the fairness report."""

    __tablename__ = "equality_monitoring"

    candidate_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sex: Mapped[str | None] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(16))
    disability: Mapped[bool | None] = mapped_column(Boolean)
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- direct approach (issue 13): approaches, answers, pipeline history, candidates' preferences ---


class ApproachRow(Base):
    """A recruiter's approach of one candidate for one offer, and the candidate's answer.

    The message is the recruiter's words, kept only as long as the approach. Contact details are
    copied here only when the candidate accepts, and only those they chose to share.
    """

    __tablename__ = "approaches"
    __table_args__ = (Index("ix_approaches_pair", "offer_id", "candidate_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(64), index=True)
    employer_id: Mapped[str] = mapped_column(String(64), index=True)
    candidate_id: Mapped[str] = mapped_column(String(64), index=True)
    recruiter_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))  # shortlist | search | interest
    shortlist_id: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)  # the whole message as sent (template + recruiter's words)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # why this profile, as shown to the candidate
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | accepted | declined | expired | closed
    reason: Mapped[str | None] = mapped_column(String(32))  # a decline's reason, from a short list
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    shared_email: Mapped[str | None] = mapped_column(String(254))
    shared_phone: Mapped[str | None] = mapped_column(String(32))
    shared_at: Mapped[datetime | None] = mapped_column()  # consent to share, dated
    contact_withdrawn_at: Mapped[datetime | None] = mapped_column()


class PipelineEventRow(Base):
    """One step of a candidate in an offer's pipeline (append-only): the stage, who moved them, when."""

    __tablename__ = "pipeline_events"
    __table_args__ = (Index("ix_pipeline_pair", "offer_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    offer_id: Mapped[str] = mapped_column(String(64))
    employer_id: Mapped[str] = mapped_column(String(64), index=True)
    candidate_id: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(16))  # shortlist | search | interest
    actor: Mapped[str | None] = mapped_column(String(64))  # an account id; None: the system (expiry)
    reason: Mapped[str | None] = mapped_column(String(500))
    approach_id: Mapped[str | None] = mapped_column(String(64))
    feedback_id: Mapped[int | None] = mapped_column(Integer)  # the decision row, for stages a recruiter decides
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # interest: the same explanation as a place
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ApproachPreferenceRow(Base):
    """A candidate's choices about approaches: whether they accept them at all, and a phone to share."""

    __tablename__ = "approach_preferences"

    candidate_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    accepts_approaches: Mapped[bool] = mapped_column(Boolean, default=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApproachTemplateRow(Base):
    """An offer's approach template: the text around the recruiter's own words."""

    __tablename__ = "approach_templates"

    offer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    employer_id: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
