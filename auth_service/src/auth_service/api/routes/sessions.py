"""Refresh and logout (``/api/auth``): beyond the RealWorld spec, additive."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from auth_service import crud
from auth_service.api.deps import (
    CurrentUser,
    IssuerDep,
    RefreshTokensDep,
    RevocationsDep,
)
from auth_service.api.routes.users import user_response
from auth_service.models import RefreshRequest, UserResponse
from auth_service.sessions import RotationOutcome
from service_kit.db import SessionDep
from service_kit.errors import APIError, error_responses

router = APIRouter(prefix="/api/auth", tags=["Sessions"])

REFRESH_MESSAGES = {
    RotationOutcome.UNKNOWN: "is invalid or expired",
    RotationOutcome.REVOKED: "has been revoked",
    RotationOutcome.REUSED: "was already used; every session of this login is now revoked",
}


@router.post(
    "/refresh",
    response_model=UserResponse,
    response_model_exclude_unset=True,
    responses=error_responses(401, 413, 422, 503),
    summary="Trade a refresh token for a new access token and refresh token",
)
async def refresh(
    body: RefreshRequest,
    session: SessionDep,
    refresh_tokens: RefreshTokensDep,
    issuer: IssuerDep,
    revocations: RevocationsDep,
) -> UserResponse:
    rotation = await refresh_tokens.rotate(body.refreshToken)
    if rotation.user_id is None or rotation.token is None:
        raise APIError({"refreshToken": [REFRESH_MESSAGES[rotation.outcome]]}, status_code=401)
    user = await crud.user_by_id(session, rotation.user_id)
    if user is None:
        raise APIError({"refreshToken": [REFRESH_MESSAGES[RotationOutcome.UNKNOWN]]}, 401)
    issued_at = await revocations.issue_time(rotation.user_id)
    token = issuer.access_token(rotation.user_id, user.role, issued_at)
    return user_response(user, token, rotation.token)


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 413, 422, 503),
    summary="End this session: revoke the refresh token's family and this access token",
)
async def logout(
    body: RefreshRequest,
    request: Request,
    user: CurrentUser,
    refresh_tokens: RefreshTokensDep,
    revocations: RevocationsDep,
) -> Response:
    # Only the owner may end a session; someone else's token is left alone, silently,
    # so logout cannot be used to probe which tokens exist.
    if await refresh_tokens.owner(body.refreshToken) == user.id:
        await refresh_tokens.revoke_family_of(body.refreshToken)
    await revocations.deny(request.state.claims)
    return Response(status_code=204)
