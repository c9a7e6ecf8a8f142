"""Endpoints for other services only. The edge never routes ``/internal``; in the cluster
an AuthorizationPolicy lets only blog_service's identity call them."""

from __future__ import annotations

from fastapi import APIRouter

from auth_service import crud
from auth_service.api.deps import ProfileCacheDep
from auth_service.models import ProfileBatchRequest, ProfileBatchResponse
from auth_service.profiles import profile_record
from service_kit.db import SessionDep
from service_kit.errors import error_responses

router = APIRouter(prefix="/internal", tags=["Internal"])


@router.post(
    "/profiles/batch",
    response_model=ProfileBatchResponse,
    responses=error_responses(413, 422),
    summary="Resolve many users (by id or username) to profiles, with the viewer's follows",
)
async def batch_profiles(
    body: ProfileBatchRequest, session: SessionDep, cache: ProfileCacheDep
) -> ProfileBatchResponse:
    ids = set(body.ids)
    if body.usernames:
        ids.update(u.id for u in await crud.users_by_usernames(session, body.usernames) if u.id)
    followed = set() if body.viewerId is None else await cache.following(session, body.viewerId)
    if body.includeFollowing:
        ids.update(followed)
    profiles = await cache.profiles(session, ids)
    records = [profile_record(fields, user_id in followed) for user_id, fields in profiles.items()]
    following_ids = sorted(followed) if body.includeFollowing and body.viewerId else None
    return ProfileBatchResponse(profiles=records, followingIds=following_ids)
