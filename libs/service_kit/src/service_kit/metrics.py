"""Prometheus metrics named in PLATFORM.md, labelled by route template, not raw path."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

# Fine enough to read a P95 near 50 ms and near 500 ms.
LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.04, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.3,
    0.4, 0.45, 0.5, 0.55, 0.6, 0.75, 1.0, 1.5, 2.5, 5.0,
)  # fmt: skip

#: Routes that say nothing about user traffic.
UNMEASURED_ROUTES = frozenset({"/metrics", "/healthz", "/readyz"})


class HTTPMetrics:
    """The request counter and latency histogram, in a registry of the app's own."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by route template and status.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["service", "method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        if route in UNMEASURED_ROUTES:
            return
        self.requests.labels(self.service, method, route, str(status)).inc()
        self.latency.labels(self.service, method, route).observe(seconds)

    async def endpoint(self, _: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
