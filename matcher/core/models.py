"""Domain model: what the service knows about offers, candidates and the people around them.

``*In`` models are what a caller may send (unknown fields are rejected); the plain models are
what the service stores and returns. Validation errors name the field at fault.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from matcher.core import text
from matcher.core.text import ONE_LINE

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), ONE_LINE]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
InseeCode = Annotated[str, StringConstraints(pattern=r"^\d[\dAB]\d{3}$")]
RomeCode = Annotated[str, StringConstraints(pattern=r"^[A-N]\d{4}$")]
SkillCode = Annotated[str, StringConstraints(pattern=r"^\d{1,7}$")]


class ContractType(StrEnum):
    FONCTIONNAIRE = "fonctionnaire"  # titulaire: mutation, détachement, concours
    CONTRACTUEL = "contractuel"  # agent contractuel de droit public
    CDD = "cdd"
    CDI = "cdi"
    APPRENTISSAGE = "apprentissage"
    INTERIM = "interim"
    SAISONNIER = "saisonnier"
    STAGE = "stage"


class Category(StrEnum):
    """Catégorie hiérarchique de la fonction publique."""

    A = "A"
    B = "B"
    C = "C"


class OfferStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class EmployerKind(StrEnum):
    COMMUNE = "commune"
    INTERCOMMUNALITE = "intercommunalite"
    DEPARTEMENT = "departement"
    REGION = "region"
    CENTRE_DE_GESTION = "centre_de_gestion"
    ETAT = "etat"
    HOSPITALIER = "hospitalier"
    PRIVE = "prive"
    AUTRE = "autre"


class Visibility(StrEnum):
    PRIVATE = "private"  # nobody but the job seeker sees the profile
    EMPLOYERS = "employers"  # public employers' recruiters may find and approach the candidate


class EducationLevel(StrEnum):
    """Niveaux du cadre national des certifications (3 = CAP/BEP … 8 = doctorat)."""

    NONE = "sans_diplome"
    CAP_BEP = "niveau_3"
    BAC = "niveau_4"
    BAC_2 = "niveau_5"
    LICENCE = "niveau_6"
    MASTER = "niveau_7"
    DOCTORAT = "niveau_8"


class Strict(BaseModel):
    """Base of every input model: unknown fields refused, and no control character in any text field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(info.context, dict) and info.context.get(text.STORED):
            return value
        return text.clean(value, one_line=info.field_name is not None and text.is_one_line(cls, info.field_name))


class SalaryRange(Strict):
    minimum: float | None = Field(default=None, ge=0, description="Brut annuel, en euros")
    maximum: float | None = Field(default=None, ge=0)

    @field_validator("maximum")
    @classmethod
    def _ordered(cls, maximum: float | None, info: ValidationInfo) -> float | None:
        minimum = info.data.get("minimum")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise ValueError("le maximum est inférieur au minimum")
        return maximum


class OfferIn(Strict):
    """An offer as a recruiter or a partner sends it."""

    title: Text
    description: LongText = ""
    employer_id: str
    commune_insee: InseeCode = Field(description="Code INSEE de la commune du lieu de travail")
    contract_types: list[ContractType] = Field(min_length=1)
    category: Category | None = None
    rome_code: RomeCode | None = None
    required_skills: list[SkillCode] = Field(default_factory=list, max_length=100)
    desired_skills: list[SkillCode] = Field(default_factory=list, max_length=100)
    experience_years: float = Field(default=0, ge=0, le=50)
    remote_days_per_week: float = Field(default=0, ge=0, le=5)
    salary: SalaryRange | None = None
    published_at: date | None = None
    closes_at: date | None = None
    status: OfferStatus = OfferStatus.PUBLISHED
    source: str = "direct"
    external_ref: str | None = None
    url: str | None = None

    @field_validator("closes_at")
    @classmethod
    def _dates_ordered(cls, closes_at: date | None, info: ValidationInfo) -> date | None:
        # A cross-field rule names the field it refuses (a model-level error would name none).
        published_at = info.data.get("published_at")
        if published_at and closes_at and closes_at < published_at:
            raise ValueError("la date de clôture précède la date de publication")
        return closes_at


class Offer(OfferIn):
    id: str
    version: int
    created_at: datetime
    updated_at: datetime


class Experience(Strict):
    title: Text
    rome_code: RomeCode | None = None
    years: float = Field(ge=0, le=50)


class MobilityArea(Strict):
    """Where the candidate accepts to work: around these communes, within ``radius_km``."""

    communes: list[InseeCode] = Field(min_length=1, max_length=20)
    radius_km: float = Field(gt=0, le=300)


class CandidateIn(Strict):
    """A candidate profile as its owner edits it."""

    display_name: Text
    title: Text = Field(description="Intitulé du poste recherché")
    summary: LongText = ""
    desired_occupations: list[RomeCode] = Field(default_factory=list, max_length=10)
    skills: list[SkillCode] = Field(default_factory=list, max_length=200)
    experiences: list[Experience] = Field(default_factory=list, max_length=50)
    education_level: EducationLevel | None = None
    languages: list[Annotated[str, StringConstraints(max_length=40)]] = Field(default_factory=list, max_length=20)
    driving_licences: list[Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,4}$")]] = Field(
        default_factory=list, max_length=16
    )
    mobility: MobilityArea
    available_from: date | None = None
    contract_types: list[ContractType] = Field(min_length=1)
    visibility: Visibility = Visibility.PRIVATE
    talent_pool: bool | None = Field(
        default=None,
        description="Accepte d'être gardé en vivier deux ans après le dernier contact (None : inchangé)",
    )

    @property
    def experience_years(self) -> float:
        return sum(e.years for e in self.experiences)


class Candidate(CandidateIn):
    id: str
    version: int
    consented_at: datetime | None = Field(
        description="Quand le candidat a rendu son profil visible des employeurs (None: jamais, ou retiré)"
    )
    created_at: datetime
    updated_at: datetime


class Decision(StrEnum):
    """What a recruiter did with a shortlisted candidate. The system itself never rejects anyone."""

    CONTACTED = "contacted"
    INTERESTED = "interested"
    INTERVIEW = "interview"
    HIRED = "hired"
    REJECTED = "rejected"


class FeedbackIn(Strict):
    candidate_id: str
    decision: Decision
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)] | None = None
    recruiter_id: str | None = None


class Feedback(FeedbackIn):
    id: int
    offer_id: str
    created_at: datetime


class EmployerIn(Strict):
    name: Text
    kind: EmployerKind
    commune_insee: InseeCode | None = None
    siren: Annotated[str, StringConstraints(pattern=r"^\d{9}$")] | None = None


class Employer(EmployerIn):
    id: str


class EmployerSettingsIn(Strict):
    """An employer's own settings; fields left out keep their value."""

    ai_ranking: bool | None = Field(default=None, description="Classement par le modèle (sinon : recherche filtrée)")
    webhook_url: AnyHttpUrl | None = None
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=128)
    retention_not_hired_days: int | None = Field(default=None, ge=30, le=730)
    retention_pool_days: int | None = Field(default=None, ge=30, le=730)


class EmployerSettings(BaseModel):
    """The settings as shown back: whether a webhook secret is set, never the secret."""

    employer_id: str
    ai_ranking: bool
    webhook_url: str | None
    webhook_secret_set: bool
    retention_not_hired_days: int
    retention_pool_days: int


class Partner(Strict):
    id: str
    name: Text
    employer_ids: list[str] = Field(default_factory=list)


# The longest page any list returns.
MAX_PAGE = 200
