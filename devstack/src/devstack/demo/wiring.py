"""How `devstack up --demo` wires the demo in: the peers' process-table row, and the settings
that point the portal at them (on top of the local default every `make dev` gets)."""

from __future__ import annotations

import secrets
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devstack.demo.model import DEMO_BUCKET, DemoSize
from devstack.supervisor import ServiceProcess

__all__ = ["AWS_PEER_PORT", "DEMO_GRAFANA_URL", "KUBE_PEER_PORT", "DemoPeers"]

KUBE_PEER_PORT = 8091
AWS_PEER_PORT = 8092
REGION = "ap-northeast-2"
# Where a local Grafana would be (PORTAL_GRAFANA_URL): the demo's links point there.
DEMO_GRAFANA_URL = "http://localhost:3001"


def _fake_key_id() -> str:
    # moto accepts any key; a generated one keeps real-looking keys out of git and logs.
    return "AKIA" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(16))


@dataclass(frozen=True)
class DemoPeers:
    """The demo peers of one `devstack up --demo`: where they listen and what they hold."""

    data_dir: Path
    kube_port: int = KUBE_PEER_PORT
    aws_port: int = AWS_PEER_PORT
    size: DemoSize = field(default_factory=DemoSize)
    seed: int = 2026
    access_key_id: str = field(default_factory=_fake_key_id)
    secret_access_key: str = field(default_factory=lambda: secrets.token_urlsafe(30))

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "demo" / "kubeconfig"

    @property
    def operator_file(self) -> Path:
        return self.data_dir / "demo-operator.json"

    def portal_env(self) -> dict[str, str]:
        """The PORTAL_ settings that send every ops panel to the peers, labelled Demo."""
        return {
            "PORTAL_OPS_DEMO": "1",
            "PORTAL_KUBECONFIG": str(self.kubeconfig),
            "PORTAL_ARGOCD_NAMESPACE": "argocd",
            "PORTAL_APP_NAMESPACE": "blog",
            "PORTAL_TRIVY_BUCKET": DEMO_BUCKET,
            "PORTAL_AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.aws_port}",
            "PORTAL_AWS_REGION": REGION,
            "PORTAL_COST_ENABLED": "1",
            "PORTAL_GRAFANA_URL": DEMO_GRAFANA_URL,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": REGION,
        }

    def process(self, redis_url: str) -> ServiceProcess:
        """The peers' row: ready when the Kubernetes API peer lists Applications (it starts
        listening only once every object of the data set is loaded)."""
        command = (
            *(sys.executable, "-m", "devstack", "demo-peers"),
            *("--kube-port", str(self.kube_port), "--aws-port", str(self.aws_port)),
            *("--kubeconfig", str(self.kubeconfig), "--seed", str(self.seed)),
            *("--apps", str(self.size.apps), "--reports", str(self.size.reports)),
            *("--cost-days", str(self.size.cost_days)),
        )
        ready = (
            f"http://127.0.0.1:{self.kube_port}/apis/argoproj.io/v1alpha1/namespaces/argocd/"
            "applications"
        )
        # REDIS_URL: the portal's Redis, where the image ledger is filled in.
        return ServiceProcess("demo", command, self.kube_port, ready, env={"REDIS_URL": redis_url})
