"""A job seeker's CV: read into a draft profile (nothing saved), and the file kept on request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from api.auth import PrincipalDep
from api.deps import RuntimeDep
from matcher.cv import service
from matcher.cv.extract import MAX_BYTES
from matcher.cv.service import CvDraftOut

router = APIRouter(prefix="/me/cv", tags=["espace candidat"])

_BODY = {
    "requestBody": {
        "required": True,
        "description": "Le fichier lui-même (PDF, .docx, .odt ou texte ; 5 Mo au plus).",
        "content": {
            media: {"schema": {"type": "string", "format": "binary", "maxLength": MAX_BYTES}}
            for media in (
                "application/pdf",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.oasis.opendocument.text",
                "text/plain",
                "application/octet-stream",
            )
        },
    }
}


@router.post("", openapi_extra=_BODY)
async def read_cv(
    request: Request,
    rt: RuntimeDep,
    principal: PrincipalDep,
    filename: Annotated[str, Query(max_length=200, description="Nom du fichier (son extension est vérifiée)")] = "",
    keep: Annotated[bool, Query(description="Conserver le fichier avec votre profil (existant)")] = False,
) -> CvDraftOut:
    """Lit un CV et propose un brouillon de profil, chaque champ avec la ligne du CV d'où il vient.

    Rien n'est enregistré : relisez, corrigez, puis enregistrez le profil (``PUT /me/profile``).
    Le fichier n'est conservé que si vous le demandez (``keep=true``), avec votre profil.
    """
    body = await request.body()
    return await run_in_threadpool(service.read_cv, rt, principal=principal, content=body, filename=filename, keep=keep)


@router.get("/file", response_class=Response, responses={200: {"content": {"application/octet-stream": {}}}})
def kept_file(rt: RuntimeDep, principal: PrincipalDep) -> Response:
    """Le CV que vous avez demandé de conserver."""
    kept = service.kept_cv(rt, principal=principal)
    return Response(
        kept.content,
        media_type=kept.media_type,
        headers={"Content-Disposition": f'attachment; filename="{kept.filename}"', "Cache-Control": "no-store"},
    )


@router.delete("/file", status_code=status.HTTP_204_NO_CONTENT)
def forget_file(rt: RuntimeDep, principal: PrincipalDep) -> None:
    """Supprime le CV conservé (le profil reste)."""
    service.forget_cv(rt, principal=principal)
