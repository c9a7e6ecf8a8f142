"""The CI pipeline's Trivy reports in S3: `s3://<bucket>/<prefix><service>/<git sha>.json`.

`latest()` lists the prefix once and downloads only the newest report (by LastModified) of
each service; `scan(service, sha)` reads one image's report for the deploy timeline's CVE
difference. A report that is not JSON or not Trivy schema 2 is logged and skipped: the other
services still show.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError
from cachetools import TTLCache

from portal.ops.aws import AUTH_ERROR_CODES, aws_error, error_code, s3_client
from portal.ops.panel import NotConfigured, SourceFailed, Unauthorised
from portal.ops.settings import OpsSettings
from portal.ops.trivy.models import ImageScan
from portal.ops.trivy.report import parse_trivy_report

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["CiScans", "newest_per_service", "report_key", "split_key"]

log = structlog.get_logger("portal.ops.trivy")
MISSING_KEY_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
LIST_PAGE_SIZE = 1000  # S3's own maximum per ListObjectsV2 page
# The timeline asks for the report of every image in every app's history on each load (500
# with 50 apps): a build's report only changes when the pipeline scans that build again, so
# each is kept for a while instead of downloaded again.
SCAN_MEMO_SECONDS = 600.0
SCAN_MEMO_ENTRIES = 2000


def _prefix(settings: OpsSettings) -> str:
    prefix = settings.trivy_prefix.lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def report_key(prefix: str, service: str, git_sha: str) -> str:
    return f"{prefix}{service}/{git_sha}.json"


def split_key(key: str, prefix: str) -> tuple[str, str] | None:
    """`<prefix><service>/<sha>.json` to (service, sha); None for any other key."""
    if not key.startswith(prefix) or not key.endswith(".json"):
        return None
    parts = key[len(prefix) : -len(".json")].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def newest_per_service(
    objects: Iterable[Mapping[str, Any]], prefix: str
) -> dict[str, tuple[str, str]]:
    """Service → (key, sha) of its most recently written report."""
    newest: dict[str, tuple[datetime, str, str]] = {}
    for obj in objects:
        key, modified = str(obj.get("Key", "")), obj.get("LastModified")
        parsed = split_key(key, prefix)
        if parsed is None or not isinstance(modified, datetime):
            continue
        service, sha = parsed
        if service not in newest or modified > newest[service][0]:
            newest[service] = (modified, key, sha)
    return {service: (key, sha) for service, (_, key, sha) in newest.items()}


class CiScans:
    """The CI Trivy reports panel's source (and the timeline's per-image lookup)."""

    def __init__(self, settings: OpsSettings, *, page_size: int = LIST_PAGE_SIZE) -> None:
        self._settings = settings
        self._page_size = page_size
        self._bucket = settings.trivy_bucket
        self._prefix = _prefix(settings)
        self._s3: S3Client | None = None
        self._memo: TTLCache[str, ImageScan] = TTLCache(SCAN_MEMO_ENTRIES, SCAN_MEMO_SECONDS)

    def _client(self) -> S3Client:
        if self._s3 is None:
            self._s3 = s3_client(self._settings)
        return self._s3

    def _require_bucket(self) -> None:
        if not self._bucket:
            raise NotConfigured("CI Trivy reports (S3)", "PORTAL_TRIVY_BUCKET")

    async def latest(self) -> list[ImageScan]:
        """The newest report of each service, sorted by service."""
        self._require_bucket()
        try:
            objects = await asyncio.to_thread(self._list)
            newest = newest_per_service(objects, self._prefix)
            bodies = await asyncio.gather(
                *(asyncio.to_thread(self._read, key) for key, _ in newest.values())
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc) from exc
        scans = (
            self._parse(body, key, service, sha)
            for (service, (key, sha)), body in zip(newest.items(), bodies, strict=True)
        )
        return sorted((s for s in scans if s is not None), key=lambda s: s.app)

    async def scan(self, service: str, git_sha: str) -> ImageScan | None:
        """The report of `service` built from `git_sha`; None when there is none (or it is
        unreadable: logged)."""
        self._require_bucket()
        if not service or not git_sha:
            return None
        key = report_key(self._prefix, service, git_sha)
        if (kept := self._memo.get(key)) is not None:
            return kept
        try:
            body = await asyncio.to_thread(self._read, key)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc) from exc
        scan = self._parse(body, key, service, git_sha)
        if scan is not None:  # a missing report may still come (the pipeline is running)
            self._memo[key] = scan
        return scan

    def _list(self) -> list[Mapping[str, Any]]:
        paginator = self._client().get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self._bucket, Prefix=self._prefix, PaginationConfig={"PageSize": self._page_size}
        )
        return [obj for page in pages for obj in page.get("Contents", [])]

    def _read(self, key: str) -> bytes | None:
        try:
            response = self._client().get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in MISSING_KEY_CODES:
                return None  # removed since the listing, or never uploaded
            raise
        return response["Body"].read()

    def _parse(self, body: bytes | None, key: str, service: str, sha: str) -> ImageScan | None:
        if body is None:
            return None
        try:
            return parse_trivy_report(json.loads(body), app=service, git_sha=sha)
        except ValueError as exc:
            reason = f"not JSON: {exc}"
        except SourceFailed as exc:
            reason = exc.reason
        log.warning("trivy_report_skipped", bucket=self._bucket, key=key, reason=reason)
        return None

    def _error(self, exc: Exception) -> Exception:
        where = f"S3 bucket {self._bucket}"
        if isinstance(exc, ClientError):
            code = error_code(exc)
            if code == "NoSuchBucket":
                return SourceFailed(f"{where} does not exist (check PORTAL_TRIVY_BUCKET).")
            if code in AUTH_ERROR_CODES:
                return Unauthorised(
                    f"{where}: {code} — the portal's AWS identity needs s3:ListBucket on "
                    f"arn:aws:s3:::{self._bucket} (prefix {self._prefix}) and s3:GetObject on "
                    f"arn:aws:s3:::{self._bucket}/{self._prefix}*."
                )
        return aws_error(
            exc,
            what=where,
            needs=f"s3:ListBucket and s3:GetObject on {self._prefix}",
            endpoint=self._settings.aws_endpoint_url,
        )
