"""Registration, login and the current user (RealWorld ``/api/users`` and ``/api/user``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from auth_service import crud
from auth_service.api.deps import (
    CurrentUser,
    HashingDep,
    IssuerDep,
    ProfileCacheDep,
    RefreshTokensDep,
    RevocationsDep,
    ThrottleDep,
    client_address,
)
from auth_service.models import (
    LoginRequest,
    NewUserRequest,
    UpdateUserRequest,
    User,
    UserPublic,
    UserResponse,
)
from auth_service.passwords import MAX_LENGTH, password_problem
from service_kit.db import SessionDep
from service_kit.errors import APIError, error_responses

router = APIRouter(prefix="/api", tags=["User and Authentication"])
INVALID_CREDENTIALS = {"email or password": ["is invalid"]}


def user_response(user: User, token: str, refresh_token: str | None = None) -> UserResponse:
    fields = {
        "email": user.email,
        "token": token,
        "username": user.username,
        "bio": user.bio,
        "image": user.image,
        "role": user.role,
    }
    if refresh_token is not None:  # only where one is issued; absent, not null, elsewhere
        fields["refreshToken"] = refresh_token
    return UserResponse(user=UserPublic.model_validate(fields))


def require_acceptable_password(password: str) -> None:
    problem = password_problem(password)
    if problem is not None:
        raise APIError({"password": [problem]})


@router.post(
    "/users",
    status_code=201,
    response_model=UserResponse,
    response_model_exclude_unset=True,
    responses=error_responses(409, 413, 422, 503),
    summary="Register a new user",
)
async def register(
    body: NewUserRequest,
    session: SessionDep,
    hashing: HashingDep,
    issuer: IssuerDep,
    refresh_tokens: RefreshTokensDep,
) -> UserResponse:
    new = body.user
    require_acceptable_password(new.password)
    await crud.ensure_available(session, username=new.username, email=new.email, exclude_id=None)
    user = await crud.create_user(
        session,
        username=new.username,
        email=new.email,
        password_hash=await hashing.hash(new.password),
    )
    assert user.id is not None
    # Redis first: if it is down the request fails and the user row is rolled back.
    refresh = await refresh_tokens.start(user.id)
    return user_response(user, issuer.access_token(user.id, user.role), refresh)


@router.post(
    "/users/login",
    response_model=UserResponse,
    response_model_exclude_unset=True,
    responses=error_responses(401, 413, 422, 429, 503),
    summary="Log in",
)
async def login(
    body: LoginRequest,
    request: Request,
    session: SessionDep,
    hashing: HashingDep,
    issuer: IssuerDep,
    refresh_tokens: RefreshTokensDep,
    throttle: ThrottleDep,
    revocations: RevocationsDep,
    address: Annotated[str, Depends(client_address)],
) -> UserResponse:
    credentials = body.user
    email = credentials.email.strip().lower()
    await throttle.check(email, address)
    if len(credentials.password) > MAX_LENGTH:
        # No password this long can exist; refuse before spending a hash on it.
        raise APIError({"password": [f"is too long (maximum is {MAX_LENGTH} characters)"]})
    user = await crud.user_by_email(session, email)
    valid = await hashing.verify(user.password_hash if user else None, credentials.password)
    if user is None or not valid:
        await throttle.record_failure(email, address)
        raise APIError(INVALID_CREDENTIALS, status_code=401)
    assert user.id is not None
    await throttle.forget_account(email)
    if hashing.needs_rehash(user.password_hash):
        user.password_hash = await hashing.hash(credentials.password)
    refresh = await refresh_tokens.start(user.id)
    issued_at = await revocations.issue_time(user.id)
    return user_response(user, issuer.access_token(user.id, user.role, issued_at), refresh)


@router.get(
    "/user",
    response_model=UserResponse,
    response_model_exclude_unset=True,
    responses=error_responses(401),
    summary="Get the current user",
)
async def get_current_user(user: CurrentUser, request: Request) -> UserResponse:
    return user_response(user, request.state.access_token)


@router.put(
    "/user",
    response_model=UserResponse,
    response_model_exclude_unset=True,
    responses=error_responses(401, 409, 413, 422),
    summary="Update the current user",
)
async def update_current_user(
    body: UpdateUserRequest,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    hashing: HashingDep,
    issuer: IssuerDep,
    refresh_tokens: RefreshTokensDep,
    revocations: RevocationsDep,
    profile_cache: ProfileCacheDep,
) -> UserResponse:
    changes = body.user.model_dump(exclude_unset=True)
    if not changes:
        raise APIError({"user": ["must change at least one field"]})
    if changes.get("username") is None:
        changes.pop("username", None)
    if changes.get("email") is None:
        changes.pop("email", None)
    password = changes.pop("password", None)
    if password is not None:
        require_acceptable_password(password)
    assert user.id is not None
    await crud.ensure_available(
        session, username=changes.get("username"), email=changes.get("email"), exclude_id=user.id
    )
    for field, value in changes.items():
        setattr(user, field, value)
    await crud.touch(user)
    await crud.flush_unique(session)
    await profile_cache.forget(profile_of=user.id)
    if password is None:
        return user_response(user, request.state.access_token)
    # A new password ends every session, this one included; hand this client a fresh one.
    user.password_hash = await hashing.hash(password)
    await refresh_tokens.revoke_all(user.id)
    cutoff = await revocations.revoke_user_tokens(user.id, issuer.ttl_seconds)
    refresh = await refresh_tokens.start(user.id)
    return user_response(user, issuer.access_token(user.id, user.role, issued_at=cutoff), refresh)
