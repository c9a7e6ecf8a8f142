"""A moto server shared by the module's tests (started once, reset before each test), the
portal's settings pointed at it, and the real sample data from tests/ops/fixtures."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.peers.aws import MotoPeer
from portal.ops.settings import OpsSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BUCKET = "blog-platform-test-trivy-reports"


def load_fixture(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / relative).read_text())
    return data


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoPeer]:
    with MotoPeer() as peer:
        yield peer


@pytest.fixture
def moto_peer(moto_server: MotoPeer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoPeer]:
    """The shared peer, empty; boto3's credential chain finds the peer's generated keys."""
    moto_server.reset()
    for name, value in moto_server.env().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    yield moto_server
    moto_server.reset()


@pytest.fixture
def aws_settings(moto_peer: MotoPeer) -> OpsSettings:
    return OpsSettings.from_env(
        {**moto_peer.env(), "PORTAL_COST_ENABLED": "1", "PORTAL_TRIVY_BUCKET": BUCKET}
    )


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """boto3's whole credential chain comes up empty (no keys, files, or instance role)."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated keys, so a request is signed and sent (where no peer checks them)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + secrets.token_hex(8).upper())
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secrets.token_urlsafe(30))


@pytest.fixture
def closed_port_url() -> str:
    """A local URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_server_url() -> Iterator[str]:
    """A local port that accepts connections and never answers (a hung endpoint)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def iam_user(peer: MotoPeer, actions: list[str]) -> dict[str, str]:
    """AWS_* variables of a new IAM user of the peer allowed only `actions` (none: nothing)."""
    iam = peer.client("iam")
    name = f"portal-{len(iam.list_users()['Users'])}"
    iam.create_user(UserName=name)
    if actions:
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
        iam.put_user_policy(UserName=name, PolicyName="portal", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }
