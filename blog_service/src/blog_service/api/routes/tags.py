"""RealWorld tags: the tags of published articles, most used first."""

from __future__ import annotations

from fastapi import APIRouter, Response

from blog_service import store
from blog_service.api.deps import ReadCacheDep
from blog_service.schemas import TagsResponse
from service_kit.db import ReadSessionDep

router = APIRouter(prefix="/api/tags", tags=["Tags"])
CACHE_KEY = ("tags",)


@router.get("", response_model=TagsResponse, summary="Popular tags")
async def list_tags(session: ReadSessionDep, cache: ReadCacheDep) -> Response:
    # The same for every viewer, and it counts tags over every article: always cached.
    generation = await cache.generation()
    hit = cache.get(CACHE_KEY, generation)
    if hit is None:
        content = TagsResponse(tags=await store.popular_tags(session)).model_dump_json().encode()
        cache.put(CACHE_KEY, generation, content, None)
        return Response(content, media_type="application/json")
    return Response(hit.body, media_type="application/json")
