"""Profiles and follows (RealWorld ``/api/profiles``)."""

from __future__ import annotations

from fastapi import APIRouter

from auth_service import crud
from auth_service.api.deps import CurrentUser, OptionalViewer, ProfileCacheDep, ProfileOwner
from auth_service.models import ProfilePublic, ProfileResponse, User
from service_kit.db import SessionDep
from service_kit.errors import APIError, error_responses

router = APIRouter(prefix="/api/profiles", tags=["Profile"])


def profile_response(user: User, following: bool) -> ProfileResponse:
    profile = ProfilePublic(
        username=user.username, bio=user.bio, image=user.image, following=following
    )
    return ProfileResponse(profile=profile)


@router.get(
    "/{username}",
    response_model=ProfileResponse,
    responses=error_responses(401, 404, 422),
    summary="Get a profile",
)
async def get_profile(
    owner: ProfileOwner, viewer: OptionalViewer, session: SessionDep, cache: ProfileCacheDep
) -> ProfileResponse:
    following = False
    if viewer is not None and viewer.id is not None:
        following = owner.id in await cache.following(session, viewer.id)
    return profile_response(owner, following)


@router.post(
    "/{username}/follow",
    response_model=ProfileResponse,
    responses=error_responses(401, 404, 422),
    summary="Follow a user",
)
async def follow(
    owner: ProfileOwner, user: CurrentUser, session: SessionDep, cache: ProfileCacheDep
) -> ProfileResponse:
    assert owner.id is not None
    assert user.id is not None
    if owner.id == user.id:
        raise APIError({"profile": ["cannot follow yourself"]})
    await crud.follow(session, user.id, owner.id)
    await cache.forget(following_of=user.id)
    return profile_response(owner, following=True)


@router.delete(
    "/{username}/follow",
    response_model=ProfileResponse,
    responses=error_responses(401, 404, 422),
    summary="Unfollow a user",
)
async def unfollow(
    owner: ProfileOwner, user: CurrentUser, session: SessionDep, cache: ProfileCacheDep
) -> ProfileResponse:
    assert owner.id is not None
    assert user.id is not None
    await crud.unfollow(session, user.id, owner.id)
    await cache.forget(following_of=user.id)
    return profile_response(owner, following=False)
