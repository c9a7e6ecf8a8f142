"""`make dev DEMO=1`: the demo loader fills the real peers and the portal's real adapters read
the data back; the process table wires the peers and the portal's settings; the peers'
process serves and stops cleanly; the demo operator is a real admin of a real auth_service."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from redis import Redis

from devstack._proc import free_port, port_in_use
from devstack.demo import DemoData, DemoSize, generate, trivy_key
from devstack.demo.account import DemoOperator, ensure_operator
from devstack.demo.load import DAILY_DAYS, LEDGER_PREFIX, load_aws, load_kube, prefill_ledger
from devstack.keys import ensure_signing_key
from devstack.peers.aws import MotoPeer
from devstack.peers.kube import KubePeer
from devstack.routes import AUTH_SERVICE, PORTAL
from devstack.stack import Servers, StackConfig, process_table
from portal.ops.argocd import ledger as portal_ledger
from portal.ops.argocd.source import ArgoCDSource
from portal.ops.cost import explorer
from portal.ops.cost.explorer import CostExplorer
from portal.ops.settings import OpsSettings
from portal.ops.trivy.operator import OperatorScans
from portal.ops.trivy.s3 import CiScans
from service_kit.testing.servers import create_database, drop_database
from tests.e2e.stack import _service

SERVERS = Servers("postgresql://postgres@127.0.0.1:55432/postgres", "redis://127.0.0.1:56379/0")
SIZE = DemoSize(apps=8, reports=20, cost_days=90)


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(42, SIZE)


@pytest.fixture
def ledger_redis(redis_server_url: str) -> Iterator[str]:
    """The test Redis without image-ledger keys before and after."""

    def clean() -> None:
        with Redis.from_url(redis_server_url) as client:
            keys = list(client.scan_iter(match=LEDGER_PREFIX + "*"))
            if keys:
                client.delete(*keys)

    clean()
    yield redis_server_url
    clean()


@pytest.fixture
def kube(tmp_path: Path, data: DemoData) -> Iterator[tuple[KubePeer, Path]]:
    peer = KubePeer()
    load_kube(peer, data)
    with peer:
        yield peer, peer.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def moto(data: DemoData, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoPeer]:
    # moto's state is per process and other tests' peers share it: start and end empty.
    with MotoPeer() as peer:
        peer.reset()
        for name, value in peer.env().items():
            monkeypatch.setenv(name, value)  # boto3's credential chain reads them
        load_aws(peer, data)
        yield peer
        peer.reset()


def _aws_settings(peer: MotoPeer, data: DemoData) -> OpsSettings:
    return OpsSettings.from_env(
        {**peer.env(), "PORTAL_COST_ENABLED": "1", "PORTAL_TRIVY_BUCKET": data.bucket}
    )


def test_demo_constants_agree_with_the_portal() -> None:
    assert LEDGER_PREFIX == portal_ledger.LEDGER_PREFIX
    assert DAILY_DAYS == explorer.DAILY_DAYS


async def test_argocd_source_reads_every_demo_app_with_history_images(
    kube: tuple[KubePeer, Path], data: DemoData, ledger_redis: str
) -> None:
    _, kubeconfig = kube
    assert prefill_ledger(ledger_redis, data) == sum(len(p.deployments) for p in data.plans)
    settings = OpsSettings(kubeconfig=str(kubeconfig), redis_url=ledger_redis)

    apps = await ArgoCDSource(settings).applications()

    assert [a.name for a in apps] == sorted(p.name for p in data.plans)
    by_name = {p.name: p for p in data.plans}
    for app in apps:
        plan = by_name[app.name]
        assert app.images == [plan.current.build.image]
        # Every history entry knows its image: the prefilled ledger, as after weeks of watching.
        assert [h.images for h in app.history] == [
            [d.build.image] for d in reversed(plan.deployments)
        ]


async def test_operator_scans_read_every_demo_report(
    kube: tuple[KubePeer, Path], data: DemoData
) -> None:
    _, kubeconfig = kube

    scans = await OperatorScans(OpsSettings(kubeconfig=str(kubeconfig))).scans()

    assert len(scans) == SIZE.reports
    assert {s.app for s in scans} >= {"auth-service", "blog-service", "portal"}
    assert all(s.namespace == "blog" and s.source == "operator" for s in scans)


async def test_ci_scans_read_the_newest_report_of_each_service_and_any_history_sha(
    moto: MotoPeer, data: DemoData
) -> None:
    scans = CiScans(_aws_settings(moto, data))

    latest = await scans.latest()

    services = sorted({p.service for p in data.plans})
    assert sorted(s.app for s in latest) == services
    oldest = data.plans[0].deployments[0]
    old = await scans.scan(data.plans[0].service, oldest.build.sha)
    assert old is not None
    assert old.image == oldest.build.image
    assert old.git_sha == oldest.build.sha
    assert trivy_key(data.plans[0].service, oldest.build.sha) in data.trivy_reports


async def test_cost_explorer_reads_the_demo_cost(moto: MotoPeer, data: DemoData) -> None:
    today = data.now.date()
    source = CostExplorer(_aws_settings(moto, data), today=lambda: today)

    report = await source.report()

    month = [r for r in data.costs if today.replace(day=1) <= r.day <= today]
    assert report.month_to_date_usd == pytest.approx(sum(r.amount_usd for r in month), abs=0.02)
    assert len(report.daily) == DAILY_DAYS
    yesterday = next(d for d in report.daily if d.day == today - timedelta(days=1))
    assert 0.8 < yesterday.amount_usd < 2.0
    if month:  # on the 1st there is no month to date yet
        assert "(untagged)" in {c.name for c in report.by_app}
        assert {c.name for c in report.by_service} == {r.service for r in month}
    assert report.forecast_method == "linear"  # moto has no GetCostForecast


async def test_cost_explorer_gets_the_same_answer_on_a_later_refresh(
    moto: MotoPeer, data: DemoData
) -> None:
    today = data.now.date()
    settings = _aws_settings(moto, data)

    first = await CostExplorer(settings, today=lambda: today).report()
    second = await CostExplorer(settings, today=lambda: today).report()

    assert second.month_to_date_usd == first.month_to_date_usd
    assert second.daily == first.daily


def test_process_table_by_default_gives_the_portal_redis_and_the_services_metrics(
    tmp_path: Path,
) -> None:
    table = process_table(StackConfig(root=tmp_path), SERVERS)
    portal = next(p for p in table if p.upstream == PORTAL)

    settings = OpsSettings.from_env(portal.env)

    assert [p.name for p in table] == ["auth", "blog", "portal", "edge"]
    assert settings.redis_url == "redis://127.0.0.1:56379/0"
    assert settings.metrics_urls == {
        "auth-service": "http://127.0.0.1:8001/metrics",
        "blog-service": "http://127.0.0.1:8002/metrics",
    }
    assert not settings.kubernetes_configured
    assert not settings.cost_enabled
    assert settings.trivy_bucket == settings.grafana_url == ""
    assert not settings.demo
    assert portal.env["JWT_ISSUER"] == "http://localhost:8080"  # what auth_service signs with


def test_process_table_with_demo_starts_the_peers_and_points_the_portal_at_them(
    tmp_path: Path,
) -> None:
    table = process_table(StackConfig(root=tmp_path, demo=True), SERVERS)
    demo, portal = table[0], next(p for p in table if p.upstream == PORTAL)

    settings = OpsSettings.from_env(portal.env)

    assert [p.name for p in table] == ["demo", "auth", "blog", "portal", "edge"]
    assert demo.command[1:4] == ("-m", "devstack", "demo-peers")
    assert demo.ready_url == (
        "http://127.0.0.1:8091/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
    )
    assert demo.env["REDIS_URL"] == settings.redis_url == "redis://127.0.0.1:56379/0"
    assert settings.demo
    assert settings.kubeconfig == str(tmp_path / ".data" / "demo" / "kubeconfig")
    assert settings.aws_endpoint_url == "http://127.0.0.1:8092"
    assert settings.cost_enabled
    assert settings.trivy_bucket == "blog-platform-demo-trivy-reports"
    assert settings.grafana_url == "http://localhost:3001"
    assert set(settings.metrics_urls) == {"auth-service", "blog-service"}
    assert portal.env["AWS_ACCESS_KEY_ID"].startswith("AKIA")
    # The edge proxies the services only, never a peer.
    assert "demo" not in " ".join(table[-1].command)


def test_demo_peers_process_serves_the_data_set_and_sigterm_frees_its_ports(
    tmp_path: Path,
) -> None:
    kube_port, aws_port = free_port(), free_port()
    kubeconfig = tmp_path / "demo" / "kubeconfig"
    command = [
        *(sys.executable, "-m", "devstack", "demo-peers"),
        *("--kube-port", str(kube_port), "--aws-port", str(aws_port)),
        *("--kubeconfig", str(kubeconfig), "--apps", "4", "--reports", "6", "--seed", "9"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        listing = _wait_for_list(f"http://127.0.0.1:{kube_port}", process)
        names = [item["metadata"]["name"] for item in listing["items"]]
        assert names == [
            "auth-service-dev",
            "auth-service-prod",
            "blog-service-dev",
            "blog-service-prod",
        ]
        config = json.loads(kubeconfig.read_text())
        assert config["clusters"][0]["cluster"]["server"] == f"http://127.0.0.1:{kube_port}"
        assert kubeconfig.stat().st_mode & 0o077 == 0
        ce = boto3.client(
            "ce",
            endpoint_url=f"http://127.0.0.1:{aws_port}",
            region_name="us-east-1",
            aws_access_key_id="AKIADEMOPEERSTEST000",
            aws_secret_access_key="any",
            config=Config(retries={"total_max_attempts": 1}),
        )
        with pytest.raises(ClientError):  # moto lacks it; the portal projects linearly
            ce.get_cost_forecast(
                TimePeriod={"Start": "2026-11-26", "End": "2026-12-01"},
                Metric="UNBLENDED_COST",
                Granularity="MONTHLY",
            )
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert b"demo peers ready" in output
    assert b"Traceback" not in output  # the expected gap is not reported as a crash
    assert not port_in_use(kube_port)
    assert not port_in_use(aws_port)


def _wait_for_list(url: str, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    path = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            answer = httpx.get(url + path, timeout=2, trust_env=False)
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        assert answer.status_code == 200
        listing: dict[str, Any] = answer.json()
        return listing
    raise AssertionError("the demo peers never answered")


@pytest.fixture(scope="module")
def auth_service(
    tmp_path_factory: pytest.TempPathFactory, postgres_server_url: str, redis_server_url: str
) -> Iterator[tuple[str, dict[str, str]]]:
    """A real auth_service on a fresh database: its URL and its environment."""
    work_dir = tmp_path_factory.mktemp("demo-operator")
    ensure_signing_key(work_dir / "keys")
    database = create_database(postgres_server_url, "demo_operator_auth")
    port = free_port()
    env = {
        "ENVIRONMENT": "test",
        "JWT_ISSUER": f"http://127.0.0.1:{port}",
        "REDIS_URL": redis_server_url,
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database,
        "AUTH_JWT_KEYS_DIR": str(work_dir / "keys"),
    }
    with ExitStack() as stack:
        stack.callback(drop_database, database)
        url = _service(stack, "auth_service", port, env, work_dir)
        yield url, env


def _role(auth_url: str, operator: DemoOperator) -> str:
    login = {"user": {"email": operator.email, "password": operator.password}}
    answer = httpx.post(f"{auth_url}/api/users/login", json=login, trust_env=False, timeout=30)
    assert answer.status_code == 200, answer.text
    claims = jwt.decode(answer.json()["user"]["token"], options={"verify_signature": False})
    return str(claims["role"])


def test_ensure_operator_makes_an_admin_and_a_rerun_only_changes_the_password(
    auth_service: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = auth_service
    state = tmp_path / "demo-operator.json"

    first = ensure_operator(url, env, state)
    second = ensure_operator(url, env, state)

    assert first.email == second.email == "ops-demo@example.org"
    assert first.password != second.password
    assert _role(url, second) == "admin"
    old = httpx.post(
        f"{url}/api/users/login",
        json={"user": {"email": first.email, "password": first.password}},
        trust_env=False,
        timeout=30,
    )
    assert old.status_code == 401  # the old password no longer signs in
    assert state.stat().st_mode & 0o077 == 0
    assert json.loads(state.read_text())["password"] == second.password


def test_ensure_operator_without_its_state_file_makes_another_account(
    auth_service: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = auth_service
    ensure_operator(url, env, tmp_path / "first.json")

    other = ensure_operator(url, env, tmp_path / "lost.json")

    assert other.email.startswith("ops-demo-") and other.email.endswith("@example.org")
    assert _role(url, other) == "admin"


def test_stack_config_demo_is_off_unless_asked(tmp_path: Path) -> None:
    config = StackConfig.from_env(tmp_path, {})
    assert config.demo is False
    assert replace(config, demo=True).demo is True
    auth = next(p for p in process_table(config, SERVERS) if p.upstream == AUTH_SERVICE)
    assert auth.port == 8001
