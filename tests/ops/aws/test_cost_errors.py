"""The Cost Explorer adapter's failures, each with a reason a person can act on: not
configured, no credentials, denied by IAM (moto checking real policies), unreachable, slow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devstack.peers.aws import MotoPeer
from portal.ops.cache import PanelCache
from portal.ops.cost.explorer import CostExplorer
from portal.ops.cost.models import CostReport
from portal.ops.loader import PanelSpec, load_panel
from portal.ops.panel import NotConfigured, PanelStatus, Unauthorised, Unreachable
from portal.ops.settings import OpsSettings
from tests.ops.aws.conftest import iam_user
from tests.ops.aws.cost_data import (
    report,
)


async def test_report_is_not_configured_when_cost_is_disabled(moto_peer: MotoPeer) -> None:
    settings = OpsSettings.from_env(moto_peer.env())

    with pytest.raises(NotConfigured) as caught:
        await report(settings)

    assert "PORTAL_COST_ENABLED=1" in caught.value.reason
    assert moto_peer.operations() == []  # not a cent spent


@pytest.mark.usefixtures("no_aws_credentials")
async def test_report_is_unauthorised_without_credentials(moto_server: MotoPeer) -> None:
    # moto_server, not moto_peer: that one puts the peer's keys in the environment.
    settings = OpsSettings.from_env({**moto_server.env(), "PORTAL_COST_ENABLED": "1"})

    with pytest.raises(Unauthorised) as caught:
        await report(settings)

    assert caught.value.reason.startswith("no AWS credentials: ")
    assert "ce:GetCostAndUsage" in caught.value.reason


async def test_report_is_unauthorised_when_iam_denies_cost_explorer(
    moto_peer: MotoPeer, aws_settings: OpsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in iam_user(moto_peer, ["s3:ListBucket"]).items():
        monkeypatch.setenv(name, value)
    moto_peer.require_auth()

    with pytest.raises(Unauthorised) as caught:
        await report(aws_settings)

    reason = caught.value.reason
    assert "AccessDenied" in reason
    assert "is not authorized to perform: ce:GetCostAndUsage" in reason
    assert reason.endswith("needs ce:GetCostAndUsage and ce:GetCostForecast.")


@pytest.mark.usefixtures("fake_aws_credentials")
async def test_report_is_unreachable_on_a_closed_port(closed_port_url: str) -> None:
    settings = OpsSettings(cost_enabled=True, aws_endpoint_url=closed_port_url)

    with pytest.raises(Unreachable) as caught:
        await report(settings)

    assert caught.value.reason.startswith(f"Cost Explorer at {closed_port_url}: cannot connect")


@pytest.mark.usefixtures("fake_aws_credentials")
async def test_report_times_out_below_the_panel_deadline(silent_server_url: str) -> None:
    settings = OpsSettings(
        cost_enabled=True, aws_endpoint_url=silent_server_url, timeout_seconds=0.5
    )
    spec = PanelSpec("cost", CostExplorer(settings).report, CostReport, 60)
    started = datetime.now(UTC)

    panel = await load_panel(spec, PanelCache(), timeout=3.0)

    # botocore's read timeout (0.4 s) fired, not the loader's 3 s deadline.
    assert panel.status is PanelStatus.TIMED_OUT
    assert (datetime.now(UTC) - started).total_seconds() < 2.5
