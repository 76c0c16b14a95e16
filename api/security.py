"""Security headers on every response: pages, API, static files, the documentation and errors alike.

The Content-Security-Policy allows scripts, styles, images and fonts from this origin only: no inline
script, no inline style, no plug-in, and no framing by any site (``frame-ancestors 'none'``, with
``X-Frame-Options: DENY`` for older browsers). The pages hold no inline script or event handler: their
one script is ``/static/site.js``. The interactive documentation (``/docs``, ``/redoc``) is FastAPI's,
which loads Swagger UI and ReDoc from a CDN and starts them with a short inline script: those routes
get a policy that also allows the CDN, their inline scripts by hash (computed from the page served,
never ``'unsafe-inline'`` for scripts), inline styles and web workers, still unframeable.

:class:`SecuredApp` wraps the whole middleware stack, Starlette's outermost error middleware included,
so the 500 page carries the headers too.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# What FastAPI's Swagger UI and ReDoc pages load (cdn.jsdelivr.net, the FastAPI favicon, ReDoc's fonts).
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net {hashes}; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "font-src 'self' https://fonts.gstatic.com; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
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
        docs = (self.docs_url, self.redoc_url, self.swagger_ui_oauth2_redirect_url)
        return SecurityHeaders(super().build_middleware_stack(), docs_paths=[p for p in docs if p])
