"""The public route table: Istio `prefix` semantics, first match wins, portal by default."""

from __future__ import annotations

import pytest

from devstack.routes import DEFAULT_UPSTREAM, ROUTES, UPSTREAMS, Route, upstream_for


def test_routes_match_platform_table_in_order() -> None:
    assert [(r.prefix, r.upstream) for r in ROUTES] == [
        ("/api/users", "auth-service"),
        ("/api/user", "auth-service"),
        ("/api/profiles", "auth-service"),
        ("/api/auth", "auth-service"),
        ("/.well-known/", "auth-service"),
        ("/api/articles", "blog-service"),
        ("/api/tags", "blog-service"),
        ("/api/feeds", "blog-service"),
    ]
    assert DEFAULT_UPSTREAM == "portal"
    assert set(UPSTREAMS) == {r.upstream for r in ROUTES} | {DEFAULT_UPSTREAM}


@pytest.mark.parametrize(
    "path",
    [
        "/api/users",
        "/api/users/login",
        "/api/user",
        "/api/profiles/jake/follow",
        "/api/auth/refresh",
        "/.well-known/jwks.json",
        "/api/userx",  # plain string prefix, exactly like Istio's `prefix`
        "/api/users/",
    ],
)
def test_upstream_for_auth_paths_returns_auth_service(path: str) -> None:
    assert upstream_for(path) == "auth-service"


@pytest.mark.parametrize(
    "path",
    [
        "/api/articles",
        "/api/articles/feed",
        "/api/articles/how-to/comments",
        "/api/tags",
        "/api/feeds",
    ],
)
def test_upstream_for_blog_paths_returns_blog_service(path: str) -> None:
    assert upstream_for(path) == "blog-service"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/metrics",
        "/healthz",
        "/readyz",
        "/api",
        "/api/",
        "/api/article",  # shorter than the /api/articles prefix
        "/api/us",
        "/.well-known",  # the prefix has a trailing slash
        "/API/users",  # matching is case-sensitive
        "/login",
    ],
)
def test_upstream_for_other_paths_returns_portal(path: str) -> None:
    assert upstream_for(path) == "portal"


def test_route_matches_is_plain_prefix() -> None:
    route = Route("/api/user", "auth-service")
    assert route.matches("/api/user")
    assert route.matches("/api/users")
    assert route.matches("/api/userinfo")
    assert not route.matches("/api/use")
    assert not route.matches("/x/api/user")
