"""Dependencies of the blog API; visibility and ownership checks chain from here."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path

from blog_service import store
from blog_service.authors import AuthorDirectory
from blog_service.models import Article
from blog_service.ratelimit import WriteLimiter
from blog_service.readcache import ReadCache
from blog_service.store import ArticleRow
from blog_service.views import etag
from service_kit.app import app_state
from service_kit.auth import Claims, OptionalClaims, RequiredClaims
from service_kit.db import SessionDep
from service_kit.errors import APIError, Forbidden, NotFound

DirectoryDep = Annotated[AuthorDirectory, app_state("authors")]
LimiterDep = Annotated[WriteLimiter, app_state("write_limiter")]
ReadCacheDep = Annotated[ReadCache, app_state("read_cache")]
SlugPath = Annotated[str, Path(max_length=200)]


def can_see(article: Article | ArticleRow, claims: Claims | None) -> bool:
    return article.status == "published" or (
        claims is not None and claims.user_id == article.author_id
    )


async def visible_article(slug: SlugPath, session: SessionDep, claims: OptionalClaims) -> Article:
    """The article, if this viewer may see it: drafts exist only for their author."""
    article = await store.article_by_slug(session, slug)
    if article is None or not can_see(article, claims):
        raise NotFound("article")
    return article


VisibleArticle = Annotated[Article, Depends(visible_article)]


async def editable_article(
    article: VisibleArticle,
    claims: RequiredClaims,
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Article:
    """The article, if this user may change it and has seen its latest version."""
    if article.author_id != claims.user_id and not claims.is_admin:
        raise Forbidden("article")
    if if_match is not None and if_match.strip() != "*" and etag(article) not in if_match:
        raise APIError({"article": ["was changed since you loaded it; reload and retry"]}, 412)
    return article


EditableArticle = Annotated[Article, Depends(editable_article)]
