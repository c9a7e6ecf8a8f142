"""Dependencies of the auth API as ``Annotated`` aliases; ownership checks chain from here."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from auth_service import crud
from auth_service.models import User
from auth_service.passwords import PasswordHashing
from auth_service.profiles import ProfileCache
from auth_service.sessions import RefreshTokens
from auth_service.throttle import LoginThrottle
from auth_service.tokens import TokenIssuer
from service_kit.app import app_state
from service_kit.auth import OptionalClaims, RequiredClaims, Revocations
from service_kit.db import SessionDep
from service_kit.errors import NotFound, Unauthorized

IssuerDep = Annotated[TokenIssuer, app_state("token_issuer")]
HashingDep = Annotated[PasswordHashing, app_state("password_hashing")]
RefreshTokensDep = Annotated[RefreshTokens, app_state("refresh_tokens")]
ThrottleDep = Annotated[LoginThrottle, app_state("login_throttle")]
ProfileCacheDep = Annotated[ProfileCache, app_state("profile_cache")]
RevocationsDep = Annotated[Revocations, app_state("revocations")]


async def current_user(claims: RequiredClaims, session: SessionDep) -> User:
    user = await crud.user_by_id(session, claims.user_id)
    if user is None:  # deleted since the token was issued
        raise Unauthorized("is invalid")
    return user


async def optional_viewer(claims: OptionalClaims, session: SessionDep) -> User | None:
    return None if claims is None else await current_user(claims, session)


async def profile_owner(
    username: Annotated[str, Path(max_length=200)], session: SessionDep
) -> User:
    user = await crud.user_by_username(session, username)
    if user is None:
        raise NotFound("profile")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalViewer = Annotated[User | None, Depends(optional_viewer)]
ProfileOwner = Annotated[User, Depends(profile_owner)]


def client_address(request: Request) -> str:
    # uvicorn's proxy-headers support has already replaced the peer with the forwarded
    # client when the peer is a trusted proxy (the edge, the mesh sidecar).
    return request.client.host if request.client else "unknown"
