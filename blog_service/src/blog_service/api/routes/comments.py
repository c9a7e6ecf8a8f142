"""RealWorld comments on articles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from sqlalchemy import select
from sqlmodel import col

from blog_service.api.deps import DirectoryDep, LimiterDep, VisibleArticle
from blog_service.models import Comment, ModerationEntry
from blog_service.schemas import (
    MultipleCommentsResponse,
    NewCommentRequest,
    SingleCommentResponse,
)
from blog_service.views import comment_body
from service_kit.auth import OptionalClaims, RequiredClaims
from service_kit.db import SessionDep
from service_kit.errors import Forbidden, NotFound, error_responses

router = APIRouter(prefix="/api/articles/{slug}/comments", tags=["Comments"])
CommentId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get(
    "",
    response_model=MultipleCommentsResponse,
    responses=error_responses(401, 404, 422),
    summary="Comments on an article, oldest first",
)
async def list_comments(
    article: VisibleArticle, session: SessionDep, claims: OptionalClaims, authors: DirectoryDep
) -> dict[str, Any]:
    rows = await session.execute(
        select(Comment)
        .where(col(Comment.article_id) == article.id)
        .order_by(col(Comment.created_at), col(Comment.id))
    )
    comments = list(rows.scalars())
    directory = await authors.lookup(
        [c.author_id for c in comments], viewer_id=claims.user_id if claims else None
    )
    return {"comments": [comment_body(c, directory) for c in comments]}


@router.post(
    "",
    status_code=201,
    response_model=SingleCommentResponse,
    responses=error_responses(401, 404, 413, 422, 429),
    summary="Comment on an article",
)
async def add_comment(
    body: NewCommentRequest,
    article: VisibleArticle,
    session: SessionDep,
    claims: RequiredClaims,
    authors: DirectoryDep,
    limiter: LimiterDep,
) -> dict[str, Any]:
    assert article.id is not None
    await limiter.charge("comments", claims.user_id)
    directory = await authors.lookup([claims.user_id], viewer_id=claims.user_id)
    comment = Comment(
        article_id=article.id,
        author_id=claims.user_id,
        author_username=directory.require(claims.user_id).username,
        body=body.comment.body,
    )
    session.add(comment)
    await session.flush()
    return {"comment": comment_body(comment, directory)}


@router.delete(
    "/{comment_id}",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 403, 404, 422),
    summary="Delete a comment (its author, or an admin as moderation)",
)
async def delete_comment(
    comment_id: CommentId, article: VisibleArticle, session: SessionDep, claims: RequiredClaims
) -> Response:
    comment = await session.get(Comment, comment_id)
    if comment is None or comment.article_id != article.id:
        raise NotFound("comment")
    if comment.author_id != claims.user_id:
        if not claims.is_admin:
            raise Forbidden("comment")
        session.add(
            ModerationEntry(
                actor_id=claims.user_id,
                action="delete_comment",
                target_type="comment",
                target_id=comment_id,
                owner_id=comment.author_id,
                detail=article.slug,
            )
        )
    await session.delete(comment)
    await session.flush()
    return Response(status_code=204)
