"""The CI pipeline's Trivy reports read from S3 (moto in server mode), uploaded the way the
pipeline does: s3://<bucket>/trivy/<service>/<git sha>.json."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from devstack.peers.aws import MotoPeer
from portal.ops.panel import NotConfigured, SourceFailed, Unauthorised, Unreachable
from portal.ops.settings import OpsSettings
from portal.ops.trivy.s3 import CiScans, newest_per_service, split_key
from tests.ops.aws.conftest import BUCKET, iam_user, load_fixture

DEBIAN = "trivy/trivy-debian-buster.json"
UBI7 = "trivy/trivy-ubi-7-comprehensive.json"
DEBIAN_IMAGE = "ghcr.io/aquasecurity/trivy-test-images:debian-buster"
UBI7_IMAGE = "ghcr.io/aquasecurity/trivy-test-images:ubi-7"
SHA_A, SHA_B, SHA_C, SHA_F = ("a" * 40, "b" * 40, "c" * 40, "f" * 40)


def report_reads(peer: MotoPeer) -> list[str]:
    """The report objects the peer was asked for (GetObject)."""
    return [path for method, path, _ in peer.requests if method == "GET" and ".json" in path]


def listings(peer: MotoPeer) -> int:
    return sum(1 for method, path, _ in peer.requests if method == "GET" and "list-type=2" in path)


async def test_latest_takes_each_services_newest_report(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_F, load_fixture(DEBIAN))
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_A, load_fixture(DEBIAN))
    moto_peer.put_trivy_report(BUCKET, "auth-service", SHA_C, load_fixture(DEBIAN))
    await asyncio.sleep(1.1)  # S3's LastModified has whole seconds
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_B, load_fixture(UBI7))
    moto_peer.requests.clear()

    scans = await CiScans(aws_settings).latest()

    # SHA_B is neither the first nor the last key of blog-service: only its time makes it newest.
    assert [(s.app, s.git_sha, s.image) for s in scans] == [
        ("auth-service", SHA_C, DEBIAN_IMAGE),
        ("blog-service", SHA_B, UBI7_IMAGE),
    ]
    assert scans[1].counts.high == 1
    assert scans[1].source == "ci"
    assert sorted(report_reads(moto_peer)) == [
        f"/{BUCKET}/trivy/auth-service/{SHA_C}.json",
        f"/{BUCKET}/trivy/blog-service/{SHA_B}.json",
    ]


async def test_latest_follows_list_pages(moto_peer: MotoPeer, aws_settings: OpsSettings) -> None:
    for service in ("auth-service", "blog-service", "portal"):
        moto_peer.put_trivy_report(BUCKET, service, SHA_A, load_fixture(DEBIAN))
    moto_peer.requests.clear()

    scans = await CiScans(aws_settings, page_size=1).latest()

    assert [s.app for s in scans] == ["auth-service", "blog-service", "portal"]
    assert listings(moto_peer) == 3


async def test_latest_skips_a_broken_report_and_keeps_the_others(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    old_schema = load_fixture(DEBIAN)
    old_schema["SchemaVersion"] = 1  # derived: written by an old Trivy
    moto_peer.put_trivy_report(BUCKET, "auth-service", SHA_A, load_fixture(DEBIAN))
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_B, b'{"SchemaVersion": 2, "Resu')
    moto_peer.put_trivy_report(BUCKET, "portal", SHA_C, old_schema)

    with capture_logs() as logs:
        scans = await CiScans(aws_settings).latest()

    assert [s.app for s in scans] == ["auth-service"]
    skipped = {e["key"]: e["reason"] for e in logs if e["event"] == "trivy_report_skipped"}
    assert skipped[f"trivy/portal/{SHA_C}.json"] == "unsupported Trivy report schema version 1"
    assert skipped[f"trivy/blog-service/{SHA_B}.json"].startswith("not JSON: ")


async def test_latest_ignores_keys_outside_the_layout(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    moto_peer.put_trivy_report(BUCKET, "portal", SHA_A, load_fixture(DEBIAN))
    s3 = moto_peer.client("s3")
    s3.put_object(Bucket=BUCKET, Key="trivy/README.md", Body=b"reports by service")
    s3.put_object(Bucket=BUCKET, Key="trivy/portal/old/x.json", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key="sbom/portal/abc.json", Body=b"{}")

    scans = await CiScans(aws_settings).latest()

    assert [(s.app, s.git_sha) for s in scans] == [("portal", SHA_A)]


async def test_latest_is_empty_when_no_report_was_uploaded(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    moto_peer.client("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": moto_peer.region}
    )

    assert await CiScans(aws_settings).latest() == []


async def test_latest_reads_a_custom_prefix_without_its_slash(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    moto_peer.put_trivy_report(BUCKET, "portal", SHA_A, load_fixture(UBI7), prefix="ci/trivy/")
    settings = OpsSettings.from_env(
        {**moto_peer.env(), "PORTAL_TRIVY_BUCKET": BUCKET, "PORTAL_TRIVY_PREFIX": "ci/trivy"}
    )

    scans = await CiScans(settings).latest()

    assert [(s.app, s.image) for s in scans] == [("portal", UBI7_IMAGE)]


async def test_scan_finds_the_report_of_one_image(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_A, load_fixture(DEBIAN))
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_B, load_fixture(UBI7))

    scan = await CiScans(aws_settings).scan("blog-service", SHA_A)

    assert scan is not None
    assert (scan.app, scan.git_sha, scan.image) == ("blog-service", SHA_A, DEBIAN_IMAGE)
    assert [v.id for v in scan.vulnerabilities] == ["CVE-2019-18224", "CVE-2019-18276"]


async def test_scan_returns_none_for_an_image_without_a_report(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_A, load_fixture(DEBIAN))
    scans = CiScans(aws_settings)

    assert await scans.scan("blog-service", SHA_B) is None
    assert await scans.scan("auth-service", SHA_A) is None
    assert await scans.scan("blog-service", "") is None


async def test_scan_downloads_a_found_report_once_and_asks_again_for_a_missing_one(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_A, load_fixture(DEBIAN))
    scans = CiScans(aws_settings)
    moto_peer.requests.clear()

    first = await scans.scan("blog-service", SHA_A)
    again = await scans.scan("blog-service", SHA_A)
    assert first is not None and again == first
    assert await scans.scan("blog-service", SHA_B) is None
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_B, load_fixture(UBI7))  # CI caught up
    later = await scans.scan("blog-service", SHA_B)

    assert later is not None and later.image == UBI7_IMAGE
    assert report_reads(moto_peer) == [
        f"/{BUCKET}/trivy/blog-service/{SHA_A}.json",
        f"/{BUCKET}/trivy/blog-service/{SHA_B}.json",
        f"/{BUCKET}/trivy/blog-service/{SHA_B}.json",
    ]


async def test_scan_returns_none_for_an_unreadable_report(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    moto_peer.put_trivy_report(BUCKET, "blog-service", SHA_A, b"<html>not a report</html>")

    assert await CiScans(aws_settings).scan("blog-service", SHA_A) is None


async def test_latest_fails_naming_a_missing_bucket(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    with pytest.raises(SourceFailed) as caught:
        await CiScans(aws_settings).latest()

    assert caught.value.reason == (
        f"S3 bucket {BUCKET} does not exist (check PORTAL_TRIVY_BUCKET)."
    )


async def test_scan_fails_naming_a_missing_bucket(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    with pytest.raises(SourceFailed) as caught:
        await CiScans(aws_settings).scan("blog-service", SHA_A)

    assert BUCKET in caught.value.reason


async def test_latest_and_scan_are_not_configured_without_a_bucket() -> None:
    scans = CiScans(OpsSettings())

    with pytest.raises(NotConfigured) as listed:
        await scans.latest()
    with pytest.raises(NotConfigured):
        await scans.scan("blog-service", SHA_A)

    assert "PORTAL_TRIVY_BUCKET" in listed.value.reason


async def test_latest_is_unauthorised_without_get_object(
    moto_peer: MotoPeer, aws_settings: OpsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    moto_peer.put_trivy_report(BUCKET, "portal", SHA_A, load_fixture(DEBIAN))
    for name, value in iam_user(moto_peer, ["s3:ListBucket"]).items():
        monkeypatch.setenv(name, value)
    moto_peer.require_auth()

    with pytest.raises(Unauthorised) as caught:
        await CiScans(aws_settings).latest()

    assert caught.value.reason.startswith(f"S3 bucket {BUCKET}: AccessDenied — ")
    assert f"s3:GetObject on arn:aws:s3:::{BUCKET}/trivy/*" in caught.value.reason


async def test_latest_is_unauthorised_with_an_unknown_key(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    moto_peer.put_trivy_report(BUCKET, "portal", SHA_A, load_fixture(DEBIAN))
    moto_peer.require_auth()  # the peer's generated keys belong to no IAM user

    with pytest.raises(Unauthorised) as caught:
        await CiScans(aws_settings).latest()

    assert "InvalidAccessKeyId" in caught.value.reason
    assert "s3:ListBucket" in caught.value.reason


@pytest.mark.usefixtures("fake_aws_credentials")
async def test_latest_is_unreachable_on_a_closed_port(closed_port_url: str) -> None:
    settings = OpsSettings(trivy_bucket=BUCKET, aws_endpoint_url=closed_port_url)

    with pytest.raises(Unreachable) as caught:
        await CiScans(settings).latest()

    assert caught.value.reason.startswith(f"S3 bucket {BUCKET} at {closed_port_url}: cannot")


def test_split_key_accepts_only_service_and_sha() -> None:
    assert split_key(f"trivy/portal/{SHA_A}.json", "trivy/") == ("portal", SHA_A)
    assert split_key("trivy/portal.json", "trivy/") is None
    assert split_key("trivy//abc.json", "trivy/") is None
    assert split_key("trivy/portal/abc.txt", "trivy/") is None
    assert split_key("other/portal/abc.json", "trivy/") is None


def test_newest_per_service_skips_objects_without_a_time() -> None:
    objects = [{"Key": f"trivy/portal/{SHA_A}.json"}, {"Key": f"trivy/portal/{SHA_B}.json"}]

    assert newest_per_service(objects, "trivy/") == {}
