"""RealWorld articles, feed and favorites, plus drafts, search and edit conflicts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from blog_service import store
from blog_service.api.deps import (
    DirectoryDep,
    EditableArticle,
    LimiterDep,
    ReadCacheDep,
    SlugPath,
    VisibleArticle,
    can_see,
)
from blog_service.authors import Directory
from blog_service.config import BlogSettings
from blog_service.models import Article, ModerationEntry, utcnow
from blog_service.readcache import ReadCache
from blog_service.rendering import render_markdown
from blog_service.schemas import (
    MultipleArticlesResponse,
    NewArticleRequest,
    SingleArticleResponse,
    Status,
    UpdateArticleRequest,
)
from blog_service.store import ArticleRow
from blog_service.views import article_detail, article_summary, etag
from service_kit.auth import Claims, OptionalClaims, RequiredClaims
from service_kit.db import ReadSessionDep, SessionDep, after_commit
from service_kit.errors import APIError, Forbidden, NotFound, Unauthorized, error_responses
from service_kit.schemas import CleanStr

router = APIRouter(prefix="/api/articles", tags=["Articles"])

Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Filter = Annotated[CleanStr | None, Query(max_length=200)]
Search = Annotated[
    CleanStr | None,
    Query(
        max_length=200,
        description=(
            "Full-text search (web search syntax: quotes, `or`, `-`). The best matches "
            "come first, the newest first among equals. Only the newest matches are ranked "
            "and counted: 1,000 unless the operator sets `BLOG_SEARCH_WINDOW`."
        ),
    ),
]


async def decorate(
    session: SessionDep,
    articles: list[Article],
    claims: Claims | None,
    authors: DirectoryDep,
    directory: Directory | None = None,
) -> tuple[dict[int, list[str]], set[int], Directory]:
    """What every shown article needs besides its row: tags, the viewer's favorites, authors."""
    ids = [a.id for a in articles if a.id is not None]
    viewer = claims.user_id if claims else None
    tags = await store.tags_of(session, ids)
    favorites = await store.favorited_among(session, viewer, ids)
    directory = await authors.lookup(
        [a.author_id for a in articles], viewer_id=viewer, known=directory
    )
    return tags, favorites, directory


async def page_body(
    rows: list[ArticleRow],
    total: int,
    claims: Claims | None,
    authors: DirectoryDep,
    directory: Directory | None = None,
) -> tuple[bytes, Directory]:
    """A list answer, serialised, from ``store.list_page`` rows (they carry tags and
    favorited), and what was known about their authors."""
    viewer = claims.user_id if claims else None
    directory = await authors.lookup([r.author_id for r in rows], viewer_id=viewer, known=directory)
    items = [article_summary(r, r.tag_list or [], r.favorited, directory) for r in rows]
    page = MultipleArticlesResponse.model_validate({"articles": items, "articlesCount": total})
    return page.model_dump_json().encode(), directory


def json_answer(content: bytes, etag_value: str | None = None) -> Response:
    headers = {"ETag": etag_value} if etag_value else None
    return Response(content, media_type="application/json", headers=headers)


async def single_body(
    session: SessionDep,
    article: Article,
    claims: Claims | None,
    authors: DirectoryDep,
    directory: Directory | None = None,
) -> dict[str, Any]:
    tags, favorites, directory = await decorate(session, [article], claims, authors, directory)
    key = article.id or 0
    return {"article": article_detail(article, tags.get(key, []), key in favorites, directory)}


def with_etag(
    body: dict[str, Any], article: Article | ArticleRow, status_code: int = 200
) -> Response:
    # Validated once and serialised by pydantic in one step (no second encoding pass).
    content = SingleArticleResponse.model_validate(body).model_dump_json()
    return Response(
        content,
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag(article)},
    )


def changes_content(session: SessionDep, cache: ReadCache) -> None:
    """This write changes what lists or articles show: invalidate cached reads on commit."""
    after_commit(session, cache.content_changed)


@router.get(
    "",
    response_model=MultipleArticlesResponse,
    responses=error_responses(401, 422),
    summary="List articles, newest first (or by relevance with q)",
)
async def list_articles(
    request: Request,
    session: ReadSessionDep,
    claims: OptionalClaims,
    authors: DirectoryDep,
    cache: ReadCacheDep,
    tag: Filter = None,
    author: Filter = None,
    favorited: Filter = None,
    q: Search = None,
    status: Status = "published",
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any] | Response:
    settings: BlogSettings = request.app.state.settings
    viewer = claims.user_id if claims else None
    if status == "draft" and viewer is None:
        raise Unauthorized("is missing")
    # Anonymous answers are the same for everyone: served from the read cache when fresh.
    cache_key = ("list", tag, author, favorited, q, status, limit, offset) if not claims else None
    generation = await cache.generation() if cache_key else None
    if cache_key and (hit := cache.get(cache_key, generation)):
        return json_answer(hit.body)
    names = [name for name in (author, favorited) if name]
    directory = await authors.lookup(usernames=names, viewer_id=viewer) if names else None
    # Drafts are listed only for their author; the filters narrow from there.
    author_ids: list[int] | None = [viewer] if status == "draft" and viewer else None
    if directory is not None and directory.unavailable:
        # An unknown username could be a real one we failed to resolve: no empty answer.
        unresolved = [name for name in names if directory.id_of(name) is None]
        if unresolved:
            raise APIError({"author": ["could not be resolved, try again shortly"]}, 503)
    if author:
        found = directory.id_of(author) if directory else None
        if found is None or (author_ids is not None and found not in author_ids):
            return {"articles": [], "articlesCount": 0}
        author_ids = [found]
    favoriter = directory.id_of(favorited) if directory and favorited else None
    if favorited and favoriter is None:
        return {"articles": [], "articlesCount": 0}
    query = store.ArticleQuery(
        status=status,
        tag=tag,
        author_ids=author_ids,
        favorited_by=favoriter,
        search=q.strip() if q and q.strip() else None,
        limit=limit,
        offset=offset,
        search_window=settings.search_window,
    )
    rows, total = await store.list_page(session, query, viewer_id=viewer)
    content, directory = await page_body(rows, total, claims, authors, directory)
    if cache_key and not directory.unavailable:
        cache.put(cache_key, generation, content, None)
    return json_answer(content)


@router.get(
    "/feed",
    response_model=MultipleArticlesResponse,
    responses=error_responses(401, 422),
    summary="Articles by the users you follow, newest first",
)
async def feed(
    session: ReadSessionDep,
    claims: RequiredClaims,
    authors: DirectoryDep,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    directory = await authors.lookup(viewer_id=claims.user_id)
    if not directory.following_known:
        raise APIError({"feed": ["is unavailable, try again shortly"]}, 503)
    query = store.ArticleQuery(author_ids=sorted(directory.following), limit=limit, offset=offset)
    rows, total = await store.list_page(session, query, viewer_id=claims.user_id)
    content, _ = await page_body(rows, total, claims, authors, directory)
    return json_answer(content)


@router.get(
    "/{slug}",
    response_model=SingleArticleResponse,
    responses=error_responses(404, 422),
    summary="Get an article (with an ETag for conditional updates)",
)
async def get_article(
    slug: SlugPath,
    session: ReadSessionDep,
    claims: OptionalClaims,
    authors: DirectoryDep,
    cache: ReadCacheDep,
) -> Response:
    viewer = claims.user_id if claims else None
    cache_key = ("article", slug) if not claims else None
    generation = await cache.generation() if cache_key else None
    if cache_key and (hit := cache.get(cache_key, generation)):
        return json_answer(hit.body, hit.etag)
    row = await store.article_for_reading(session, slug, viewer)
    if row is None or not can_see(row, claims):
        raise NotFound("article")
    directory = await authors.lookup([row.author_id], viewer_id=viewer)
    detail = article_detail(row, row.tag_list or [], row.favorited, directory)
    answer = with_etag({"article": detail}, row)
    if cache_key and not directory.unavailable:
        cache.put(cache_key, generation, bytes(answer.body), etag(row))
    return answer


@router.post(
    "",
    status_code=201,
    response_model=SingleArticleResponse,
    responses=error_responses(401, 409, 413, 422, 429),
    summary="Create an article (published, or a draft with status=draft)",
)
async def create_article(
    body: NewArticleRequest,
    session: SessionDep,
    claims: RequiredClaims,
    authors: DirectoryDep,
    limiter: LimiterDep,
    cache: ReadCacheDep,
) -> Response:
    await limiter.charge("articles", claims.user_id)
    new = body.article
    me = await authors.lookup([claims.user_id], viewer_id=claims.user_id)
    article = store.new_article(
        author_id=claims.user_id,
        author_username=me.require(claims.user_id).username,
        slug=await store.unique_slug(session, new.title),
        title=new.title,
        description=new.description,
        body=new.body,
        status=new.status,
    )
    await store.insert_article(session, article, new.tagList)
    changes_content(session, cache)
    return with_etag(await single_body(session, article, claims, authors, me), article, 201)


@router.put(
    "/{slug}",
    response_model=SingleArticleResponse,
    responses=error_responses(401, 403, 404, 412, 413, 422),
    summary="Update an article (send If-Match with its ETag to avoid lost updates)",
)
async def update_article(
    body: UpdateArticleRequest,
    article: EditableArticle,
    session: SessionDep,
    claims: RequiredClaims,
    authors: DirectoryDep,
    cache: ReadCacheDep,
) -> Response:
    if article.author_id != claims.user_id:
        raise Forbidden("article")  # moderation removes; it never rewrites someone's words
    changes = body.article.model_dump(exclude_unset=True)
    nulls = sorted(field for field, value in changes.items() if value is None)
    if nulls:
        raise APIError({field: ["can't be null"] for field in nulls})
    if not changes:
        raise APIError({"article": ["must change at least one field"]})
    tags = changes.pop("tagList", None)
    for field, value in changes.items():
        setattr(article, field, value)
    if "body" in changes:
        article.body_html = render_markdown(article.body)
    if changes.get("status") == "published" and article.published_at is None:
        article.published_at = utcnow()
    article.updated_at = utcnow()
    article.version += 1
    session.add(article)
    await session.flush()
    if tags is not None:
        await store.set_tags(session, article, tags)
    changes_content(session, cache)
    return with_etag(await single_body(session, article, claims, authors), article)


@router.delete(
    "/{slug}",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 403, 404, 412),
    summary="Delete an article (its author, or an admin as moderation)",
)
async def delete_article(
    article: EditableArticle, session: SessionDep, claims: RequiredClaims, cache: ReadCacheDep
) -> Response:
    assert article.id is not None
    if article.author_id != claims.user_id:
        session.add(
            ModerationEntry(
                actor_id=claims.user_id,
                action="delete_article",
                target_type="article",
                target_id=article.id,
                owner_id=article.author_id,
                detail=article.slug,
            )
        )
    await session.delete(article)
    await session.flush()
    changes_content(session, cache)
    return Response(status_code=204)


@router.post(
    "/{slug}/favorite",
    response_model=SingleArticleResponse,
    responses=error_responses(401, 404, 422),
    summary="Favorite an article",
)
async def favorite(
    article: VisibleArticle,
    session: SessionDep,
    claims: RequiredClaims,
    authors: DirectoryDep,
    cache: ReadCacheDep,
) -> dict[str, Any]:
    await store.set_favorite(session, article, claims.user_id, on=True)
    changes_content(session, cache)
    return await single_body(session, article, claims, authors)


@router.delete(
    "/{slug}/favorite",
    response_model=SingleArticleResponse,
    responses=error_responses(401, 404, 422),
    summary="Unfavorite an article",
)
async def unfavorite(
    article: VisibleArticle,
    session: SessionDep,
    claims: RequiredClaims,
    authors: DirectoryDep,
    cache: ReadCacheDep,
) -> dict[str, Any]:
    await store.set_favorite(session, article, claims.user_id, on=False)
    changes_content(session, cache)
    return await single_body(session, article, claims, authors)
