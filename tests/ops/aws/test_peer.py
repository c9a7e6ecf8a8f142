"""The moto peer itself (used by the demo and the browser tests), and the boto3 client setup
and error mapping every AWS adapter shares."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    NoCredentialsError,
    ParamValidationError,
)

from devstack.peers.aws import COST_RESULT_ORDER, MotoPeer, cost_results_for_peer
from portal.ops.aws import aws_error, ce_client, client_config, s3_client, sdk_timeout
from portal.ops.cost.explorer import COST_QUERIES, CostExplorer
from portal.ops.cost.models import NamedCost
from portal.ops.panel import NotConfigured, SourceFailed, Unauthorised
from portal.ops.settings import OpsSettings
from tests.ops.aws.conftest import load_fixture

TODAY = date(2026, 11, 12)


def test_cost_results_follow_the_adapters_call_order() -> None:
    assert COST_RESULT_ORDER == COST_QUERIES


async def test_cost_results_for_peer_load_a_report(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    daily = [(TODAY - timedelta(days=n), 1.25) for n in range(40)]
    by_service = {"Amazon Elastic Container Service for Kubernetes": 12.0, "Amazon S3": 0.75}
    by_app = {"blog-service": 5.5, "(untagged)": 2.0, "portal": 6.0}
    results = cost_results_for_peer(daily, by_service, by_app, month_start=TODAY.replace(day=1))
    moto_peer.set_cost_results(results * 2)  # enough for a second report on another day

    first = await CostExplorer(aws_settings, today=lambda: TODAY).report()
    second = await CostExplorer(aws_settings, today=lambda: TODAY + timedelta(days=1)).report()

    assert first.month_to_date_usd == 15.0  # 12 days of 1.25
    assert [d.amount_usd for d in first.daily] == [1.25] * 30
    assert [d.estimated for d in first.daily[-13:]] == [False] + [True] * 12
    assert first.by_service[0] == NamedCost(
        name="Amazon Elastic Container Service for Kubernetes", amount_usd=12.0
    )
    assert first.by_app == [
        NamedCost(name="portal", amount_usd=6.0),
        NamedCost(name="blog-service", amount_usd=5.5),
        NamedCost(name="(untagged)", amount_usd=2.0),
    ]
    assert second.month_to_date_usd == 15.0  # the second copy answers the next day's requests
    assert len(moto_peer.operations({"GetCostAndUsage"})) == 6


def test_cost_results_for_peer_use_aws_shapes() -> None:
    daily, by_service, by_app = cost_results_for_peer(
        [(TODAY, 0.1)], {"AWS Lambda": 0.02}, {"": 1.0}, month_start=TODAY.replace(day=1)
    )
    real = load_fixture("aws-cost/aws-cli-example-get-cost-and-usage-output.json")

    assert daily["ResultsByTime"][0]["Total"]["UnblendedCost"] == {
        "Amount": "0.1000000000",
        "Unit": "USD",
    }
    assert by_app["GroupDefinitions"] == [{"Type": "TAG", "Key": "app"}]
    assert by_app["ResultsByTime"][0]["Groups"][0]["Keys"] == ["app$"]
    assert by_service["ResultsByTime"][0]["TimePeriod"] == {
        "Start": "2026-11-01",
        "End": "2026-12-01",
    }
    # The same keys as the AWS CLI's real output, at every level.
    assert set(by_service) >= set(real)
    assert set(by_service["ResultsByTime"][0]) == set(real["ResultsByTime"][0])
    assert by_service["ResultsByTime"][0]["Total"] == real["ResultsByTime"][0]["Total"] == {}


def test_cost_results_for_peer_close_december_in_january() -> None:
    _, by_service, _ = cost_results_for_peer([], {"Tax": 1.0}, {}, month_start=date(2026, 12, 1))

    assert by_service["ResultsByTime"][0]["TimePeriod"]["End"] == "2027-01-01"


def test_env_holds_generated_credentials_and_the_peer_url(moto_server: MotoPeer) -> None:
    env = moto_server.env()

    assert env["PORTAL_AWS_ENDPOINT_URL"] == moto_server.url
    assert moto_server.url.startswith("http://127.0.0.1:")
    assert env["AWS_DEFAULT_REGION"] == env["PORTAL_AWS_REGION"] == "ap-northeast-2"
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKIA")
    assert not env["AWS_ACCESS_KEY_ID"][4:].isdigit()
    assert env["AWS_ACCESS_KEY_ID"] != MotoPeer().access_key_id
    assert env["AWS_SECRET_ACCESS_KEY"] != MotoPeer().secret_access_key


def test_put_trivy_report_stores_it_under_the_pipelines_key(moto_peer: MotoPeer) -> None:
    report = load_fixture("trivy/trivy-debian-buster.json")

    first = moto_peer.put_trivy_report("demo-reports", "portal", "abc1234", report)
    second = moto_peer.put_trivy_report("demo-reports", "portal", "def5678", report)

    s3 = moto_peer.client("s3")
    assert (first, second) == ("trivy/portal/abc1234.json", "trivy/portal/def5678.json")
    stored = s3.get_object(Bucket="demo-reports", Key=first)
    assert json.loads(stored["Body"].read()) == report
    assert stored["ContentType"] == "application/json"


def test_put_trivy_report_raises_other_bucket_errors(moto_peer: MotoPeer) -> None:
    with pytest.raises(ClientError):
        moto_peer.put_trivy_report("ab", "portal", "abc", {})  # too short for S3


def test_put_trivy_report_creates_buckets_in_us_east_1() -> None:
    with MotoPeer(region="us-east-1") as peer:
        key = peer.put_trivy_report("east-reports", "portal", "abc", {"SchemaVersion": 2})
        location = peer.client("s3").get_bucket_location(Bucket="east-reports")
        peer.reset()

    assert key == "trivy/portal/abc.json"
    assert location["LocationConstraint"] is None  # AWS's answer for us-east-1


def test_reset_forgets_buckets_and_requests(moto_peer: MotoPeer) -> None:
    moto_peer.put_trivy_report("demo-reports", "portal", "abc", {"SchemaVersion": 2})

    moto_peer.reset()

    assert moto_peer.requests == []
    assert moto_peer.client("s3").list_buckets()["Buckets"] == []


def test_client_config_never_retries_and_times_out_below_the_deadline() -> None:
    # botocore sets Config's options as attributes at run time; the stubs do not list them.
    config: Any = client_config(OpsSettings(timeout_seconds=3.0, aws_endpoint_url="http://x:1"))
    default: Any = client_config(OpsSettings())

    assert (config.connect_timeout, config.read_timeout) == (2.4, 2.4)
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert config.s3 == {"addressing_style": "path"}
    assert default.s3 is None  # real AWS: botocore's own addressing
    assert sdk_timeout(OpsSettings(timeout_seconds=0.05)) == 0.1


def test_aws_error_maps_connect_timeouts_to_timeout() -> None:
    mapped = aws_error(
        ConnectTimeoutError(endpoint_url="https://ce.us-east-1.amazonaws.com"),
        what="Cost Explorer",
        needs="ce:GetCostAndUsage",
    )

    assert isinstance(mapped, TimeoutError)
    assert "Cost Explorer: no answer in time" in str(mapped)


def test_aws_error_keeps_aws_words_for_other_errors() -> None:
    throttled = ClientError(
        {"Error": {"Code": "LimitExceededException", "Message": "Rate exceeded"}},
        "GetCostAndUsage",
    )

    mapped = aws_error(throttled, what="Cost Explorer", needs="ce:GetCostAndUsage")

    assert isinstance(mapped, SourceFailed)
    assert mapped.reason == "Cost Explorer: LimitExceededException: Rate exceeded"


def test_aws_error_wraps_other_botocore_errors() -> None:
    invalid = ParamValidationError(report="Invalid type for parameter TimePeriod")

    mapped = aws_error(invalid, what="Cost Explorer", needs="ce:GetCostAndUsage")

    assert isinstance(mapped, SourceFailed)
    assert "Invalid type for parameter TimePeriod" in mapped.reason


def test_aws_error_passes_source_errors_and_others_through() -> None:
    not_configured = NotConfigured("AWS cost", "PORTAL_COST_ENABLED=1")
    bug = KeyError("ResultsByTime")

    assert aws_error(not_configured, what="x", needs="y") is not_configured
    assert aws_error(bug, what="x", needs="y") is bug


def test_aws_error_reads_code_from_an_xml_error_without_message() -> None:
    response: Any = {  # what botocore parses from moto's XML answer to a JSON API
        "Error": {"Code": "403", "Message": "<Error><Code>AccessDenied</Code></Error>"},
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
    forbidden = ClientError(response, "GetCostAndUsage")

    mapped = aws_error(forbidden, what="Cost Explorer", needs="ce:GetCostAndUsage")

    assert isinstance(mapped, Unauthorised)
    assert mapped.reason.startswith("Cost Explorer: AccessDenied: HTTP 403 — ")


def test_aws_error_names_the_missing_credentials_and_actions() -> None:
    mapped = aws_error(NoCredentialsError(), what="Cost Explorer", needs="ce:GetCostAndUsage")

    assert isinstance(mapped, Unauthorised)
    assert mapped.reason.startswith("no AWS credentials: Unable to locate credentials.")
    assert mapped.reason.endswith("allowed ce:GetCostAndUsage.")


def test_cost_explorer_client_uses_the_global_endpoint_on_aws() -> None:
    settings = OpsSettings(aws_region="ap-northeast-2")

    assert ce_client(settings).meta.endpoint_url == "https://ce.us-east-1.amazonaws.com"
    assert s3_client(settings).meta.region_name == "ap-northeast-2"


def test_stop_is_harmless_when_not_running() -> None:
    peer = MotoPeer()
    peer.stop()
    with peer:
        url = peer.url
    peer.stop()

    assert url.startswith("http://127.0.0.1:")
