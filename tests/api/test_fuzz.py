"""Hostile input on every route of the OpenAPI document, as each role: never a 5xx.

Schemathesis-style, beyond the schema: every route (path, query and body) gets values no schema
allows or expects (huge integers, deep nesting, control characters, wrong types, huge strings,
invalid UTF-8, a wrong content type), one field at a time around an otherwise plausible body, so
the value reaches the code behind the validation as well as the validation itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from api.access import ACCESS, PUBLIC
from api.app import create_app
from api.limits import RateLimiter
from matcher.access.accounts import Role
from tests.factories import World

ROLES = ("admin", "recruiter", "seeker", "partner")  # authenticated: the requests reach the routes
SPEC = create_app().openapi()
DEEP = "[" * 5_000 + "]" * 5_000
HOSTILE: tuple[Any, ...] = (
    10**30,
    "\x00\x07\x1b[31m\u202e\ufeff\ud7ff",
    "é" * 30_000,
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    {"$where": "1", "__proto__": {"admin": True}},
    None,
)
QUERY_VALUES = ("1" + "0" * 30, "-1", "NaN", "\x00\u202e", "x" * 5_000, "")
PATH_VALUES = ("\x00", "9" * 40, "..%2F..", "é" * 600, " ")
# Known-good values by field name, so one hostile field at a time gets past the others.
GOOD = {
    "commune_insee": "07186",
    "rome_code": "A1203",
    "rome_codes": ["A1203"],
    "desired_occupations": ["A1203"],
    "required_skills": ["100063"],
    "skills": ["100063"],
    "contract_types": ["contractuel"],
    "communes": ["07019"],
    "email": "quelqu.un@example.fr",
    "password": "un mot de passe assez long",
    "webhook_url": "https://rh.example.fr/hooks",
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SPEC["components"]["schemas"][name]
    if "anyOf" in schema:
        return _resolve(next((s for s in schema["anyOf"] if s.get("type") != "null"), schema["anyOf"][0]))
    if "allOf" in schema:
        return _resolve(schema["allOf"][0])
    return schema


def _plausible(schema: dict[str, Any], name: str, world: World, depth: int = 0) -> Any:
    schema = _resolve(schema)
    if name in GOOD:
        return GOOD[name]
    if name.endswith("employer_id"):
        return world.employer_a
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" and depth < 4:
        props = schema.get("properties", {})
        return {k: _plausible(v, k, world, depth + 1) for k, v in props.items()}
    if kind == "array":
        return [_plausible(schema.get("items", {}), name, world, depth + 1)] if depth < 4 else []
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return max(float(schema.get("minimum", 1)), 1.0)
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-11-02"
    if schema.get("format") == "date-time":
        return "2026-11-02T10:00:00+00:00"
    return "Jardinier"


def _bodies(op: dict[str, Any], world: World) -> Iterator[tuple[bytes, str]]:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = _resolve(content["application/json"]["schema"])
        plausible = _plausible(schema, "", world)
        wrap = list if isinstance(plausible, list) else None
        target = plausible[0] if wrap and plausible and isinstance(plausible[0], dict) else plausible
        yield json.dumps(plausible).encode(), "application/json"
        for field in list(target)[:10] if isinstance(target, dict) else []:
            for value in HOSTILE:
                mutated = {**target, field: value}
                body = [mutated] if wrap else mutated
                yield json.dumps(body).encode(), "application/json"
        for raw in (DEEP.encode(), b"9" * 400, b"\xff\xfe\x00", b'{"a": 1}\n{', b"null", b"[]", b"{}"):
            yield raw, "application/json"
        yield json.dumps(plausible).encode(), "text/plain"
    elif content:  # a form, or JSON lines
        media = next(iter(content))
        for raw in (DEEP.encode(), "\x00é".encode() * 1000, b"username=%00&password=" + b"9" * 5000):
            yield raw, media


def _allowed(method: str, path: str, role: str) -> bool:
    rule = ACCESS.get((method.upper(), path))
    return rule is PUBLIC or (isinstance(rule, frozenset) and Role(role) in rule)


def _requests(world: World, role: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in SPEC["paths"].items():
        for method, op in operations.items():
            if (method, path) == ("delete", "/me"):
                continue  # erases the caller: the following requests would test nothing
            if not _allowed(method, path, role):  # refused before any input is read: one try is enough
                yield method, path, {}
                continue
            params = op.get("parameters", [])
            names = [p["name"] for p in params if p["in"] == "path"]
            url = path
            for name in names:
                url = url.replace("{" + name + "}", "inconnu")
            for name in names:
                for value in PATH_VALUES:
                    others = path
                    for other in names:
                        others = others.replace(
                            "{" + other + "}", quote(value, safe="") if other == name else "inconnu"
                        )
                    yield method, others, {}
            for param in (p for p in params if p["in"] == "query"):
                for value in QUERY_VALUES:
                    yield method, url, {"params": {param["name"]: value}}
            for body, media in _bodies(op, world):
                yield method, url, {"content": body, "headers": {"Content-Type": media}}
            if not params and "requestBody" not in op:
                yield method, url, {}


@pytest.mark.parametrize("role", ROLES)
def test_no_hostile_input_makes_the_server_fail(world: World, role: str) -> None:
    app = world.client.app
    for name in ("rate_limiter", "sign_in_limiter", "sign_in_address_limiter"):  # 429 is not what is tested here
        if hasattr(app.state, name):
            setattr(app.state, name, RateLimiter(10**9))
    client = TestClient(app, raise_server_exceptions=False)  # the world's lifespan already runs the app
    failures = []
    for method, url, options in _requests(world, role):
        headers = {**world.as_(role), **options.pop("headers", {})}
        response = client.request(method.upper(), url, headers=headers, **options)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {url[:80]!r} {str(options)[:120]} -> {response.status_code}")
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:40])
