"""Security headers on every response (pages, API, static files, documentation, errors), and pages fit for them."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import Response

from tests.factories import World

TEMPLATES = Path(__file__).parents[2] / "api" / "templates"


def _directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response.headers["content-security-policy"]
    return {name: value for name, _, value in (d.strip().partition(" ") for d in policy.split(";")) if name}


def _assert_secured(response, *, docs: bool = False) -> None:  # type: ignore[no-untyped-def]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] in ("no-referrer", "strict-origin-when-cross-origin")
    csp = _directives(response)
    assert csp["frame-ancestors"] == "'none'" and csp["default-src"] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["object-src"] == "'none'"
    if not docs:
        assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"


@pytest.mark.parametrize(
    ("path", "who", "status"),
    [
        ("/", "anonymous", 200),
        ("/connexion", "anonymous", 200),
        ("/candidat/effacement", "seeker", 200),  # the erasure page can be framed by no one
        ("/recruteur/offres", "anonymous", 303),
        ("/offers", "recruiter", 200),
        ("/offers", "anonymous", 401),
        ("/offers/nope", "recruiter", 404),
        ("/nowhere", "anonymous", 404),
        ("/static/site.css", "anonymous", 200),
        ("/static/site.js", "anonymous", 200),
        ("/openapi.json", "anonymous", 200),
    ],
)
def test_every_kind_of_response_carries_the_headers(world: World, path: str, who: str, status: int) -> None:
    world.client.follow_redirects = False
    response = world.client.get(path, headers={"Accept": "text/html", **world.as_(who)})
    assert response.status_code == status, response.text
    _assert_secured(response)


def test_refusals_before_any_route_and_server_errors_carry_them_too(world: World) -> None:
    too_big = world.client.post(
        "/offers", content=b"x" * 2_000_000, headers={"content-type": "application/json", **world.as_("recruiter")}
    )
    assert too_big.status_code == 413
    _assert_secured(too_big)

    async def boom(_: Request) -> Response:
        raise RuntimeError("boom")

    app = world.client.app
    app.add_route("/__boom", boom)  # type: ignore[attr-defined]
    app.middleware_stack = None  # type: ignore[attr-defined]  # rebuilt with the new route
    crashed = TestClient(app, raise_server_exceptions=False).get("/__boom")
    assert crashed.status_code == 500
    _assert_secured(crashed)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_documentation_allows_its_own_inline_script_by_hash_only(world: World, path: str) -> None:
    response = world.client.get(path)
    assert response.status_code == 200
    _assert_secured(response, docs=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", response.text, re.DOTALL)
    assert inline or path == "/redoc", "Swagger UI starts with an inline script (ReDoc has none)"
    script_src = _directives(response)["script-src"]
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_templates_hold_no_inline_script_handler_or_style(template: Path) -> None:
    html = template.read_text(encoding="utf-8")
    # A data block (JSON-LD) is never executed, so the CSP does not apply to it; any other inline script is refused.
    inline = re.search(r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/ld\+json\")", html)
    assert not inline, "inline <script>: move it to /static/site.js"
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), "inline event handler: use site.js"
    assert not re.search(r"\sstyle\s*=|<style", html, re.IGNORECASE), "inline style: the CSP forbids it"
    assert "javascript:" not in html.lower()
