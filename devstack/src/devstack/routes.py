"""The public route table: which upstream serves a request path.

This is the single source of truth shared by the local edge and (through a test that compares
them) the Istio VirtualService. Matching is Istio's `uri: {prefix: ...}`: a plain string prefix,
not a path-segment match, and the first matching route in order wins; `/api/userx` therefore
goes to auth-service exactly as it would in the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTH_SERVICE = "auth-service"
BLOG_SERVICE = "blog-service"
PORTAL = "portal"

DEFAULT_UPSTREAM = PORTAL
UPSTREAMS: tuple[str, ...] = (AUTH_SERVICE, BLOG_SERVICE, PORTAL)


@dataclass(frozen=True)
class Route:
    """Requests whose path starts with `prefix` go to the Kubernetes Service `upstream`."""

    prefix: str
    upstream: str

    def matches(self, path: str) -> bool:
        return path.startswith(self.prefix)


# Order is the VirtualService's order; keep it when adding routes.
ROUTES: tuple[Route, ...] = (
    Route("/api/users", AUTH_SERVICE),
    Route("/api/user", AUTH_SERVICE),
    Route("/api/profiles", AUTH_SERVICE),
    Route("/api/auth", AUTH_SERVICE),
    Route("/.well-known/", AUTH_SERVICE),
    Route("/api/articles", BLOG_SERVICE),
    Route("/api/tags", BLOG_SERVICE),
    Route("/api/feeds", BLOG_SERVICE),
)


def upstream_for(path: str) -> str:
    """The upstream for a request path (without query string); the portal when none matches."""
    for route in ROUTES:
        if route.matches(path):
            return route.upstream
    return DEFAULT_UPSTREAM
