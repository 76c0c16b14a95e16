"""One log event and one metric sample per request, under a request id that follows the work it causes.

The request id comes from a well-formed ``X-Request-ID`` header (a proxy's) or is made here; it is sent
back, set for every log line of the request, and written on the outbox rows the request adds, so the
background tasks that process them log under it too. Routes are named by their template
(``/offers/{offer_id}``), never by their path: ids and query strings stay out of logs and labels.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING

from prometheus_client import start_http_server
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import ApiSettings
from matcher.core import logs, metrics
from matcher.jobs.metrics import registry_for

if TYPE_CHECKING:
    from matcher.runtime import Runtime

log = logging.getLogger("matcher.http")
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestObservability:
    """Pure ASGI middleware (no buffering): request id, access event, latency and count per route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _WELL_FORMED.match(given) else logs.new_request_id()
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or (
                "/static" if scope["path"].startswith("/static/") else "unmatched"
            )
            method = scope["method"]
            metrics.http_requests.labels(method=method, route=route, status=str(status)).inc()
            metrics.http_seconds.labels(method=method, route=route).observe(elapsed)
            log.info(
                "request",
                extra={"method": method, "route": route, "status": status, "duration_ms": round(elapsed * 1000, 1)},
            )
            logs.request_id.reset(token)


def serve_metrics(rt: Runtime, settings: ApiSettings) -> bool:
    """Serve the metrics on ``API_METRICS_PORT`` for Prometheus (no token: expose it inside the cluster only).

    With several worker processes the first one to bind the port serves them all (multiprocess mode
    aggregates every process's samples); the others find it taken and leave it. Returns whether this
    process serves them.
    """
    if settings.metrics_port is None:
        return False
    try:
        start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=registry_for(rt))
    except OSError:
        return False
    return True
