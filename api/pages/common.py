"""What every page shares: templates, rendering, flash messages, the CSRF token and French labels."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from matcher.access.accounts import Principal, Role
from matcher.ranking.features import FEATURES
from matcher.ranking.scorer import RetrievalScorer
from matcher.reference.geography import Commune
from matcher.runtime import Runtime

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
CSRF_FIELD = "csrf"
_CSRF_KEY = "csrf"
_FLASH_KEY = "flash"
NAME_KEY = "name"  # the signed-in person's name, for the banner

ROLE_LABELS = {Role.ADMIN: "administration", Role.RECRUITER: "recruteur", Role.SEEKER: "candidat"}
STATUS_LABELS = {"draft": "brouillon", "published": "publiée", "closed": "clôturée"}
DECISION_LABELS = {
    "contacted": "Contacté",
    "interested": "Intéressé",
    "interview": "Entretien",
    "hired": "Recruté",
    "rejected": "Écarté",
}
CONTRACT_LABELS = {
    "fonctionnaire": "Titulaire",
    "contractuel": "Contractuel",
    "cdd": "CDD",
    "cdi": "CDI",
    "apprentissage": "Apprentissage",
    "interim": "Intérim",
    "saisonnier": "Saisonnier",
    "stage": "Stage",
}
RELATIONS = {
    "same": "même métier",
    "neighbour": "métier proche (même fiche ROME ou mobilité)",
    "domain": "même domaine",
    "none": "autre métier",
}


class CsrfRefused(Exception):
    """A state-changing form came without the session's token."""


def csrf_token(request: Request) -> str:
    """The session's synchronizer token, created on first use."""
    token = request.session.get(_CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[_CSRF_KEY] = token
    return token


def new_csrf_token(request: Request) -> None:
    request.session[_CSRF_KEY] = secrets.token_urlsafe(32)


def csrf_field(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token(request))


async def check_csrf(request: Request) -> None:
    """Router-wide dependency: every state-changing page request carries the session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()  # parsed once, cached for the route's own Form() parameters
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(_CSRF_KEY)
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise CsrfRefused


# The one router of every page: the CSRF check guards each state-changing route registered on it.
router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once, on the next page rendered (post/redirect/get)."""
    request.session[_FLASH_KEY] = [*request.session.get(_FLASH_KEY, []), [kind, message]]


def principal_of(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    principal = principal_of(request)
    has_session = "session" in request.scope
    context.update(
        principal=principal,
        person=request.session.get(NAME_KEY) if has_session and principal else None,
        flashes=request.session.pop(_FLASH_KEY, []) if has_session else [],
        path=request.url.path,
    )
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # pages show personal data: never from a shared cache
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def home_of(principal: Principal) -> str:
    """Where a person lands after signing in."""
    if principal.role is Role.ADMIN:
        return "/admin/employeurs"
    if principal.role is Role.RECRUITER:
        return "/recruteur/offres"
    return "/candidat/offres" if principal.candidate_id else "/candidat/profil"


def safe_next(value: str | None) -> str | None:
    """A local path to go back to after signing in (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def login_url(next_path: str) -> str:
    return f"/connexion?suite={quote(next_path, safe='/')}"


_CODE = re.compile(r"\(([A-Za-z0-9]+)\)\s*$")


def code_of(value: str) -> str:
    """The code of a picked suggestion, written ``label (CODE)``, or the value itself."""
    found = _CODE.search(value.strip())
    return found.group(1) if found else value.strip()


_ROME = re.compile(r"^[A-N]\d{4}$")


def rome_code(rt: Runtime, text: str) -> str | None:
    """A ROME code typed or picked, or that of the first job title matching the text."""
    code = code_of(text).upper()
    if _ROME.match(code):
        return code
    titles = rt.taxonomy.search_titles(text, 1)
    return titles[0].rome if titles else None


def commune_of(rt: Runtime, text: str) -> Commune | None:
    """The commune typed or picked (name, postal code or INSEE code), most populous first."""
    found = rt.geography.resolve(code_of(text)) if text.strip() else []
    return found[0] if found else None


def contract_labels(values: Iterable[object]) -> str:
    """Contract types as people write them: "CDI, Contractuel" (an unknown value shown as it is)."""
    return ", ".join(CONTRACT_LABELS.get(str(v), str(v)) for v in values)


PARIS = ZoneInfo("Europe/Paris")


def paris(moment: datetime | date | None, fmt: str = "%d/%m/%Y à %H:%M") -> str:
    """A stored time (UTC; naive means UTC) as read in Paris; a date as it is."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(PARIS)
    return moment.strftime(fmt)


def number_fr(value: float | None, decimals: int = 0) -> str:
    """French number format: 1 234,5 (a narrow no-break space between thousands)."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def best_score(rt: Runtime) -> float:
    """The score of a pair meeting every criterion fully: 100 on the scale shown (features lie in [0, 1]
    and weigh in monotonically, for the hand-set weights and the learned ranker alike)."""
    return rt.scorer.score([dict.fromkeys(FEATURES, 1.0)])[0][0]


def match_percent(score: float | None, best: float) -> int | None:
    """A score on the 0–100 scale a person reads: its share of the best score the ranker can give."""
    if score is None or best <= 0:
        return None
    return max(0, min(100, round(100 * score / best)))


templates.env.filters["contracts"] = contract_labels


def match_scale(request: Request, ranked_by: str | None = None) -> float:
    """The best score the model that ranked a list can give, for the pages that show scores out of 100.

    Args:
        ranked_by: The list's model version; the runtime's ranker unless it names the retrieval's own order.
    """
    if ranked_by == RetrievalScorer.version:
        return 1.0  # a list no model could read: its one criterion, the retrieval rank, lies in [0, 1]
    return best_score(request.app.state.runtime)


def commune_name(request: Request, insee: str | None) -> str | None:
    commune = request.app.state.runtime.geography.get(insee) if insee else None
    return commune.name if commune else None


templates.env.globals.update(match_scale=match_scale, commune_name=commune_name)
templates.env.filters["paris"] = paris
templates.env.filters["number_fr"] = number_fr
templates.env.filters["percent"] = match_percent
templates.env.globals.update(
    csrf_field=csrf_field,
    ROLE_LABELS=ROLE_LABELS,
    STATUS_LABELS=STATUS_LABELS,
    DECISION_LABELS=DECISION_LABELS,
    CONTRACT_LABELS=CONTRACT_LABELS,
    RELATIONS=RELATIONS,
)
