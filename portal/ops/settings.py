"""Where each ops source lives (``PORTAL_`` settings); an empty setting means "not configured".

Every source may be unset: the local stack runs without Kubernetes, AWS or Grafana, and the
dashboard then says which setting to set instead of failing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["OpsSettings", "parse_url_map"]

SERVICES = ("auth-service", "blog-service", "portal")


def parse_url_map(text: str) -> dict[str, str]:
    """``name=url,name=url`` (spaces allowed) to a dict; a part without ``=`` is ignored."""
    pairs = (part.split("=", 1) for part in text.split(",") if "=" in part)
    return {name.strip(): url.strip() for name, url in pairs if name.strip() and url.strip()}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class OpsSettings:
    # Shared Redis for the panel cache (unset: an in-process cache).
    redis_url: str = ""
    # Deadline for one source call, and how long an answer counts as fresh.
    timeout_seconds: float = 3.0
    cache_seconds: float = 30.0
    # Kubernetes (Argo CD Applications, trivy-operator reports): a kubeconfig file, or the
    # in-cluster service account when the portal runs in a pod.
    kubeconfig: str = ""
    kube_context: str = ""
    in_cluster: bool = False
    argocd_namespace: str = "argocd"
    # The namespace the platform's apps run in (Loki labels, dashboards, vulnerability reports).
    app_namespace: str = "blog"
    # The CI pipeline's Trivy reports: s3://<bucket>/trivy/<service>/<git sha>.json
    trivy_bucket: str = ""
    trivy_prefix: str = "trivy/"
    # AWS (Cost Explorer, S3); endpoint_url points boto3 at a local peer (moto) for tests/demo.
    aws_region: str = "ap-northeast-2"
    aws_endpoint_url: str = ""
    cost_enabled: bool = False
    cost_cache_seconds: float = 6 * 3600.0  # every Cost Explorer call costs 0.01 USD
    budget_usd: float = 50.0
    # Grafana and Loki links.
    grafana_url: str = ""
    grafana_loki_uid: str = "loki"
    grafana_dashboard_path: str = "/d/blog-{app}"
    # Live service health: the Prometheus HTTP API, else each service's own /metrics.
    prometheus_url: str = ""
    metrics_urls: dict[str, str] = field(default_factory=dict)
    # Demo mode: every panel is labelled "Demo" (make dev DEMO=1).
    demo: bool = False

    @property
    def kubernetes_configured(self) -> bool:
        return self.in_cluster or bool(self.kubeconfig)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> OpsSettings:
        def get(name: str, default: str = "") -> str:
            return (environ.get(name) or default).strip()

        return cls(
            redis_url=get("REDIS_URL"),
            timeout_seconds=float(get("PORTAL_OPS_TIMEOUT_SECONDS", "3")),
            cache_seconds=float(get("PORTAL_OPS_CACHE_SECONDS", "30")),
            kubeconfig=get("PORTAL_KUBECONFIG"),
            kube_context=get("PORTAL_KUBE_CONTEXT"),
            in_cluster=bool(get("KUBERNETES_SERVICE_HOST")) and not get("PORTAL_KUBECONFIG"),
            argocd_namespace=get("PORTAL_ARGOCD_NAMESPACE", "argocd"),
            app_namespace=get("PORTAL_APP_NAMESPACE", "blog"),
            trivy_bucket=get("PORTAL_TRIVY_BUCKET"),
            trivy_prefix=get("PORTAL_TRIVY_PREFIX", "trivy/"),
            aws_region=get("PORTAL_AWS_REGION", "ap-northeast-2"),
            aws_endpoint_url=get("PORTAL_AWS_ENDPOINT_URL"),
            cost_enabled=_flag(environ.get("PORTAL_COST_ENABLED")),
            cost_cache_seconds=float(get("PORTAL_COST_CACHE_SECONDS", str(6 * 3600))),
            budget_usd=float(get("PORTAL_BUDGET_USD", "50")),
            grafana_url=get("PORTAL_GRAFANA_URL").rstrip("/"),
            grafana_loki_uid=get("PORTAL_GRAFANA_LOKI_UID", "loki"),
            grafana_dashboard_path=get("PORTAL_GRAFANA_DASHBOARD_PATH", "/d/blog-{app}"),
            prometheus_url=get("PORTAL_PROMETHEUS_URL").rstrip("/"),
            metrics_urls=parse_url_map(get("PORTAL_METRICS_URLS")),
            demo=_flag(environ.get("PORTAL_OPS_DEMO")),
        )
