"""OpsSettings: what each PORTAL_ setting turns into; unset means not configured."""

from __future__ import annotations

from portal.ops.settings import OpsSettings, parse_url_map


def test_defaults_configure_no_external_source() -> None:
    settings = OpsSettings.from_env({})
    assert not settings.kubernetes_configured
    assert settings.trivy_bucket == ""
    assert settings.cost_enabled is False
    assert settings.grafana_url == ""
    assert settings.prometheus_url == ""
    assert settings.metrics_urls == {}
    assert settings.budget_usd == 50.0
    assert settings.aws_region == "ap-northeast-2"
    assert settings.demo is False


def test_every_setting_is_read() -> None:
    settings = OpsSettings.from_env(
        {
            "REDIS_URL": "redis://cache:6379/2",
            "PORTAL_OPS_TIMEOUT_SECONDS": "1.5",
            "PORTAL_OPS_CACHE_SECONDS": "10",
            "PORTAL_KUBECONFIG": "/etc/portal/kubeconfig",
            "PORTAL_KUBE_CONTEXT": "dev",
            "PORTAL_ARGOCD_NAMESPACE": "gitops",
            "PORTAL_APP_NAMESPACE": "apps",
            "PORTAL_TRIVY_BUCKET": "reports",
            "PORTAL_TRIVY_PREFIX": "scans/",
            "PORTAL_AWS_REGION": "eu-west-1",
            "PORTAL_AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "PORTAL_COST_ENABLED": "yes",
            "PORTAL_COST_CACHE_SECONDS": "60",
            "PORTAL_BUDGET_USD": "80",
            "PORTAL_GRAFANA_URL": "https://grafana.example.org/",
            "PORTAL_GRAFANA_LOKI_UID": "logs",
            "PORTAL_GRAFANA_DASHBOARD_PATH": "/d/{app}-overview",
            "PORTAL_PROMETHEUS_URL": "http://prometheus:9090/",
            "PORTAL_METRICS_URLS": "auth-service=http://a/metrics, blog-service = http://b/metrics",
            "PORTAL_OPS_DEMO": "1",
        }
    )
    assert settings.redis_url == "redis://cache:6379/2"
    assert (settings.timeout_seconds, settings.cache_seconds) == (1.5, 10.0)
    assert settings.kubernetes_configured and not settings.in_cluster
    assert (settings.kubeconfig, settings.kube_context) == ("/etc/portal/kubeconfig", "dev")
    assert (settings.argocd_namespace, settings.app_namespace) == ("gitops", "apps")
    assert (settings.trivy_bucket, settings.trivy_prefix) == ("reports", "scans/")
    assert (settings.aws_region, settings.aws_endpoint_url) == (
        "eu-west-1",
        "http://127.0.0.1:5000",
    )
    assert settings.cost_enabled and settings.cost_cache_seconds == 60.0
    assert settings.budget_usd == 80.0
    assert settings.grafana_url == "https://grafana.example.org"
    assert settings.grafana_loki_uid == "logs"
    assert settings.grafana_dashboard_path == "/d/{app}-overview"
    assert settings.prometheus_url == "http://prometheus:9090"
    assert settings.metrics_urls == {
        "auth-service": "http://a/metrics",
        "blog-service": "http://b/metrics",
    }
    assert settings.demo is True


def test_a_pod_uses_its_service_account_unless_a_kubeconfig_is_given() -> None:
    in_pod = OpsSettings.from_env({"KUBERNETES_SERVICE_HOST": "10.0.0.1"})
    assert in_pod.in_cluster and in_pod.kubernetes_configured
    explicit = OpsSettings.from_env(
        {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "PORTAL_KUBECONFIG": "/etc/kube/config"}
    )
    assert not explicit.in_cluster


def test_url_map_ignores_parts_without_a_name_or_url() -> None:
    assert parse_url_map("a=http://x, junk, =http://y, b=") == {"a": "http://x"}
