"""The public key set, for every verifier: the services and the mesh's RequestAuthentication."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

router = APIRouter(tags=["Keys"])


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
async def jwks(request: Request, response: Response) -> JSONResponse:
    document: dict[str, Any] = request.app.state.key_set.jwks()
    # Short enough that a newly published key reaches verifiers well before it signs.
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})
