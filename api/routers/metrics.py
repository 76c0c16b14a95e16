"""Prometheus metrics for administrators (Prometheus itself scrapes the separate port, ``API_METRICS_PORT``)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import RuntimeDep
from matcher.jobs.metrics import registry_for

router = APIRouter(tags=["exploitation"])


@router.get("/metrics", response_class=Response)
def metrics(rt: RuntimeDep) -> Response:
    """Métriques au format Prometheus : requêtes, étapes des présélections, file de travail, index, modèle."""
    return Response(generate_latest(registry_for(rt)), media_type=CONTENT_TYPE_LATEST)
