"""Security headers on every response: pages, API, static files, the documentation and errors alike.

The Content-Security-Policy allows scripts, styles, images and fonts from this origin only: no inline
script, no inline style, no plug-in, and no framing by any site (``frame-ancestors 'none'``, with
``X-Frame-Options: DENY`` for older browsers). The pages hold no inline script or event handler: their
one script is ``/static/site.js``. The interactive documentation (``/docs``, ``/redoc``) is FastAPI's,
served from local assets (no CDN: it works offline) and started by a short inline script: those routes
get a policy that allows their inline scripts by hash (computed from the page served, never
``'unsafe-inline'`` for scripts), inline styles and web workers, still self only and unframeable.

:class:`SecuredApp` wraps the whole middleware stack, Starlette's outermost error middleware included,
so the 500 page carries the headers too.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The documentation pages load Swagger UI and ReDoc from this origin (``DOCS_STATIC``, the assets of the
# fastapi-offline package): scripts from here plus their inline start-up script by hash, inline styles
# (both set some), images as data URLs, web workers from blobs (ReDoc).
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")
DOCS_STATIC = "/static/docs"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def docs_policy(html: bytes) -> str:
    """The documentation pages' policy: their own inline scripts allowed by SHA-256, nothing else inline."""
    digests = (base64.b64encode(hashlib.sha256(body).digest()).decode() for body in _INLINE_SCRIPT.findall(html))
    return _DOCS_POLICY.format(hashes=" ".join(f"'sha256-{d}'" for d in digests)).replace("  ", " ")


def _with_headers(message: Message, policy: str) -> Message:
    ours = {name.lower().encode() for name in (*HEADERS, "Content-Security-Policy")}
    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in ours]
    headers += [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
    headers.append((b"content-security-policy", policy.encode()))
    return {**message, "headers": headers}


class SecurityHeaders:
    """Pure ASGI middleware: the headers above on every HTTP response; ``docs_paths`` get the docs policy."""

    def __init__(self, app: ASGIApp, *, docs_paths: Iterable[str] = ()) -> None:
        self.app, self.docs_paths = app, frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.docs_paths:
            await self._docs(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            await send(_with_headers(message, POLICY) if message["type"] == "http.response.start" else message)

        await self.app(scope, receive, secured)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Small HTML pages: held back whole, so that the policy can name their inline scripts' hashes."""
        start: Message | None = None
        body = bytearray()

        async def held(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await send(_with_headers(start, docs_policy(bytes(body))))
                await send({"type": "http.response.body", "body": bytes(body)})

        await self.app(scope, receive, held)


class SecuredApp(FastAPI):
    """FastAPI with :class:`SecurityHeaders` outside every other middleware (errors answered there too)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), docs_paths=DOCS_PATHS)


def install_offline_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` from local assets, so they work without internet access.

    Plain routes (not API routes): like FastAPI's own documentation, outside the access rules.
    """
    import fastapi_offline
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi.staticfiles import StaticFiles
    from starlette.requests import Request
    from starlette.responses import HTMLResponse

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_STATIC, StaticFiles(directory=assets), name="docs-assets")

    async def swagger(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
        )

    async def redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            redoc_js_url=f"{DOCS_STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_STATIC}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route("/docs", swagger, include_in_schema=False)
    app.add_route("/docs/oauth2-redirect", redirect, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
