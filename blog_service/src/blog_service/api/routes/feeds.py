"""Atom feeds of published articles: all, by tag, or by author."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from blog_service import store
from blog_service.api.deps import DirectoryDep
from blog_service.atom import ATOM_MEDIA_TYPE, AtomEntry, render_feed
from blog_service.config import BlogSettings
from blog_service.rendering import plain_text
from service_kit.db import ReadSessionDep
from service_kit.errors import error_responses
from service_kit.schemas import CleanStr

router = APIRouter(prefix="/api/feeds", tags=["Feeds"])
FEED_SIZE = 20
Filter = Annotated[CleanStr | None, Query(max_length=200)]


@router.get(
    "/articles.atom",
    response_class=Response,
    responses={200: {"content": {ATOM_MEDIA_TYPE: {}}}, **error_responses(422)},
    summary="The newest published articles as an Atom feed",
)
async def articles_feed(
    request: Request,
    session: ReadSessionDep,
    authors: DirectoryDep,
    tag: Filter = None,
    author: Filter = None,
) -> Response:
    settings: BlogSettings = request.app.state.settings
    site = settings.public_url.rstrip("/")
    author_ids: list[int] | None = None
    if author:
        found = (await authors.lookup(usernames=[author])).id_of(author)
        author_ids = [found] if found is not None else []
    query = store.ArticleQuery(tag=tag, author_ids=author_ids, limit=FEED_SIZE)
    rows, _ = await store.list_page(session, query, with_body=True)
    directory = await authors.lookup([r.author_id for r in rows])
    entries = [
        AtomEntry(
            slug=a.slug,
            title=a.title,
            summary=a.description or plain_text(a.body, 280),
            content_html=a.body_html,
            author_name=directory.profile(a.author_id, a.author_username)["username"],
            published=a.published_at or a.created_at,
            updated=a.updated_at,
            tags=a.tag_list or [],
        )
        for a in rows
    ]
    filters = {key: value for key, value in (("tag", tag), ("author", author)) if value}
    self_url = f"{site}/api/feeds/articles.atom" + (f"?{urlencode(filters)}" if filters else "")
    title = "Articles" + "".join(f", {key} {value}" for key, value in filters.items())
    document = render_feed(
        feed_id=self_url, title=title, self_url=self_url, site_url=site, entries=entries
    )
    return Response(document, media_type=f"{ATOM_MEDIA_TYPE}; charset=utf-8")
