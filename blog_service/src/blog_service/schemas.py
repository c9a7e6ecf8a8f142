"""API shapes of blog_service: the RealWorld contract plus additive fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from sqlmodel import SQLModel

from service_kit.schemas import CleanStr, RequiredStr, Strict

TITLE_MAX = 200
DESCRIPTION_MAX = 500
BODY_MAX = 100_000
COMMENT_MAX = 10_000
TAG_MAX = 40
TAGS_PER_ARTICLE = 10

Status = Literal["draft", "published"]


def clean_tag(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("can't be blank")
    if len(value) > TAG_MAX:
        raise ValueError(f"is too long (maximum is {TAG_MAX} characters)")
    return value


TagName = Annotated[CleanStr, AfterValidator(clean_tag)]


class ArticleCreate(Strict):
    title: RequiredStr = Field(max_length=TITLE_MAX)
    description: RequiredStr = Field(max_length=DESCRIPTION_MAX)
    body: RequiredStr = Field(max_length=BODY_MAX)
    tagList: list[TagName] = Field(default_factory=list, max_length=TAGS_PER_ARTICLE)  # noqa: N815
    status: Status = "published"


class ArticleUpdate(Strict):
    # None means "not given"; an explicit null is refused in the route.
    title: RequiredStr | None = Field(default=None, max_length=TITLE_MAX)
    description: RequiredStr | None = Field(default=None, max_length=DESCRIPTION_MAX)
    body: RequiredStr | None = Field(default=None, max_length=BODY_MAX)
    tagList: list[TagName] | None = Field(default=None, max_length=TAGS_PER_ARTICLE)  # noqa: N815
    status: Status | None = None


class NewArticleRequest(Strict):
    article: ArticleCreate


class UpdateArticleRequest(Strict):
    article: ArticleUpdate


class CommentCreate(Strict):
    body: RequiredStr = Field(max_length=COMMENT_MAX)


class NewCommentRequest(Strict):
    comment: CommentCreate


class Profile(SQLModel):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ArticleSummary(SQLModel):
    slug: str
    title: str
    description: str
    tagList: list[str]  # noqa: N815
    createdAt: datetime  # noqa: N815
    updatedAt: datetime  # noqa: N815
    favorited: bool
    favoritesCount: int  # noqa: N815
    author: Profile
    # Additive to the contract.
    status: Status
    publishedAt: datetime | None  # noqa: N815


class ArticleDetail(ArticleSummary):
    body: str
    bodyHtml: str  # noqa: N815


class SingleArticleResponse(SQLModel):
    article: ArticleDetail


class MultipleArticlesResponse(SQLModel):
    articles: list[ArticleSummary]
    articlesCount: int  # noqa: N815


class CommentOut(SQLModel):
    id: int
    createdAt: datetime  # noqa: N815
    updatedAt: datetime  # noqa: N815
    body: str
    author: Profile


class SingleCommentResponse(SQLModel):
    comment: CommentOut


class MultipleCommentsResponse(SQLModel):
    comments: list[CommentOut]


class TagsResponse(SQLModel):
    tags: list[str]
