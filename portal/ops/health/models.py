"""Requests per second, error rate and P95 per service, against the platform's SLO."""

from __future__ import annotations

from pydantic import computed_field

from portal.ops.panel import Model

__all__ = ["SLO_ERROR_RATE", "SLO_P95_SECONDS", "SLO_RPS", "AppLinks", "ServiceHealth"]

# PLATFORM.md: 100 requests/s at P95 under 500 ms, error rate under 1 %.
SLO_RPS = 100.0
SLO_P95_SECONDS = 0.5
SLO_ERROR_RATE = 0.01


class ServiceHealth(Model):
    service: str  # auth-service, blog-service, portal
    up: bool
    requests_per_second: float | None = None
    error_rate: float | None = None  # 5xx / all, 0..1
    p95_seconds: float | None = None
    # "prometheus" (PromQL over a window) or "metrics" (the service's own /metrics).
    method: str = "prometheus"
    window: str = "5m"
    detail: str = ""  # why `up` is false, or how the figures were read
    # The window in seconds (300 for "5m"; for "metrics", the time between the two samples).
    window_seconds: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def within_slo(self) -> bool:
        if not self.up:
            return False
        p95_ok = self.p95_seconds is None or self.p95_seconds < SLO_P95_SECONDS
        errors_ok = self.error_rate is None or self.error_rate < SLO_ERROR_RATE
        return p95_ok and errors_ok


class AppLinks(Model):
    app: str
    dashboard_url: str
    logs_url: str
    errors_url: str
