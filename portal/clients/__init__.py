"""Typed async clients for the platform's APIs (auth and blog), used from Reflex state only."""

from portal.clients.auth import AuthClient
from portal.clients.base import ApiError, Settings
from portal.clients.blog import BlogClient
from portal.clients.models import Article, ArticlePage, Comment, Profile, User

__all__ = [
    "ApiError",
    "Article",
    "ArticlePage",
    "AuthClient",
    "BlogClient",
    "Comment",
    "Profile",
    "Settings",
    "User",
]
