"""Rows to API bodies: the one place that knows the contract's field names."""

from __future__ import annotations

from typing import Any

from blog_service.authors import Directory
from blog_service.models import Article, Comment
from blog_service.store import ArticleRow


def etag(article: Article | ArticleRow) -> str:
    return f'"{article.id}-{article.version}"'


def article_summary(
    article: Article | ArticleRow, tags: list[str], favorited: bool, directory: Directory
) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
        "tagList": tags,
        "createdAt": article.created_at,
        "updatedAt": article.updated_at,
        "favorited": favorited,
        "favoritesCount": article.favorites_count,
        "author": directory.profile(article.author_id, article.author_username),
        "status": article.status,
        "publishedAt": article.published_at,
    }


def article_detail(
    article: Article | ArticleRow, tags: list[str], favorited: bool, directory: Directory
) -> dict[str, Any]:
    summary = article_summary(article, tags, favorited, directory)
    return {**summary, "body": article.body, "bodyHtml": article.body_html}


def comment_body(comment: Comment, directory: Directory) -> dict[str, Any]:
    return {
        "id": comment.id,
        "createdAt": comment.created_at,
        "updatedAt": comment.updated_at,
        "body": comment.body,
        "author": directory.profile(comment.author_id, comment.author_username),
    }
