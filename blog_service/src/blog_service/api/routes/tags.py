"""RealWorld tags: the tags of published articles, most used first."""

from __future__ import annotations

from fastapi import APIRouter

from blog_service import store
from blog_service.schemas import TagsResponse
from service_kit.db import ReadSessionDep

router = APIRouter(prefix="/api/tags", tags=["Tags"])


@router.get("", response_model=TagsResponse, summary="Popular tags")
async def list_tags(session: ReadSessionDep) -> TagsResponse:
    return TagsResponse(tags=await store.popular_tags(session))
