"""Which live-health source the portal uses: Prometheus when set, else the services' /metrics."""

from __future__ import annotations

from portal.ops.health.metrics import MetricsHealth
from portal.ops.health.models import ServiceHealth
from portal.ops.health.prometheus import PrometheusHealth
from portal.ops.panel import NotConfigured
from portal.ops.settings import OpsSettings

__all__ = ["ServiceHealthSource"]


class ServiceHealthSource:
    """``PORTAL_PROMETHEUS_URL`` first; ``PORTAL_METRICS_URLS`` (the local stack) second.

    Keep one instance for the portal process: the /metrics reader remembers each service's
    previous sample, so its rates cover the time since the last refresh.
    """

    def __init__(self, settings: OpsSettings) -> None:
        self.settings = settings
        self.reader: PrometheusHealth | MetricsHealth | None = None
        if settings.prometheus_url:
            self.reader = PrometheusHealth(settings)
        elif settings.metrics_urls:
            self.reader = MetricsHealth(settings)

    @property
    def method(self) -> str:
        """ "prometheus", "metrics", or "" when not configured."""
        if isinstance(self.reader, PrometheusHealth):
            return "prometheus"
        return "metrics" if isinstance(self.reader, MetricsHealth) else ""

    async def health(self) -> list[ServiceHealth]:
        if self.reader is None:
            raise NotConfigured(
                "Live service health", "PORTAL_PROMETHEUS_URL", "PORTAL_METRICS_URLS"
            )
        return await self.reader.health()
