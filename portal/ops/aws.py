"""boto3 clients built from OpsSettings, and botocore errors turned into the panels' reasons.

The clients never retry and time out below the panel deadline (`settings.timeout_seconds`), so
a thread running a blocking boto3 call does not outlive its panel for long. Credentials come
from boto3's usual chain (environment, profile, the pod's IAM role); `PORTAL_AWS_ENDPOINT_URL`
points the clients at a local peer (moto) in tests and in the demo.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from portal.ops.panel import SourceError, SourceFailed, Unauthorised, Unreachable
from portal.ops.settings import OpsSettings

if TYPE_CHECKING:
    from mypy_boto3_ce import CostExplorerClient
    from mypy_boto3_s3 import S3Client

__all__ = [
    "AUTH_ERROR_CODES",
    "aws_error",
    "ce_client",
    "client_config",
    "error_code",
    "s3_client",
    "sdk_timeout",
]

# Codes AWS answers when the identity is missing, unknown, expired or lacks a permission.
AUTH_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClient",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
_XML_CODE = re.compile(r"<Code>([^<]*)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def sdk_timeout(settings: OpsSettings) -> float:
    """botocore's connect and read timeouts: below the panel deadline, never zero."""
    return max(0.1, round(settings.timeout_seconds * 0.8, 3))


def client_config(settings: OpsSettings) -> Config:
    timeout = sdk_timeout(settings)
    options: dict[str, Any] = {
        "connect_timeout": timeout,
        "read_timeout": timeout,
        # One attempt: a retry would run past the panel deadline; the loader shows the reason.
        "retries": {"mode": "standard", "total_max_attempts": 1},
    }
    if settings.aws_endpoint_url:
        # A local peer has no per-bucket DNS names (bucket.127.0.0.1 does not resolve).
        options["s3"] = {"addressing_style": "path"}
    return Config(**options)


def _client_options(settings: OpsSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "region_name": settings.aws_region,
        "config": client_config(settings),
    }
    if settings.aws_endpoint_url:
        options["endpoint_url"] = settings.aws_endpoint_url
    return options


def ce_client(settings: OpsSettings) -> CostExplorerClient:
    """A Cost Explorer client; its own session, because boto3's default one is not thread-safe."""
    return boto3.session.Session().client("ce", **_client_options(settings))


def s3_client(settings: OpsSettings) -> S3Client:
    return boto3.session.Session().client("s3", **_client_options(settings))


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "") or "")


def _http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _code_and_message(exc: ClientError) -> tuple[str, str]:
    """AWS's error code and message. A JSON-protocol service (Cost Explorer) answered by
    something speaking the query protocol's XML (moto's IAM check, a proxy) leaves the code as
    the HTTP status and the XML as the message: read the real ones out of it."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", "") or exc)
    if message.lstrip().startswith("<"):
        xml_code, xml_message = _XML_CODE.search(message), _XML_MESSAGE.search(message)
        code = xml_code.group(1) if xml_code else code
        message = xml_message.group(1) if xml_message else f"HTTP {_http_status(exc)}"
    return code, message


def aws_error(exc: Exception, *, what: str, needs: str, endpoint: str = "") -> Exception:
    """The exception the panel loader understands for a botocore failure.

    `what` names the source ("Cost Explorer"), `needs` the IAM actions the portal's identity
    must be allowed ("ce:GetCostAndUsage"). Timeouts become TimeoutError (the loader's
    "timed out"); anything unexpected stays a SourceFailed with AWS's own words.
    """
    where = f"{what} at {endpoint}" if endpoint else what
    if isinstance(exc, SourceError | TimeoutError):
        return exc
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return TimeoutError(f"{where}: no answer in time ({exc})")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
        return Unauthorised(
            f"no AWS credentials: {exc}. Give the portal an IAM role (or AWS_ACCESS_KEY_ID and "
            f"AWS_SECRET_ACCESS_KEY, or AWS_PROFILE) allowed {needs}."
        )
    if isinstance(exc, EndpointConnectionError):
        return Unreachable(f"{where}: cannot connect ({exc}).")
    if isinstance(exc, ClientError):
        code, message = _code_and_message(exc)
        if code in AUTH_ERROR_CODES or _http_status(exc) == HTTPStatus.FORBIDDEN:
            return Unauthorised(
                f"{where}: {code}: {message} — the portal's AWS identity needs {needs}."
            )
        return SourceFailed(f"{where}: {code or 'error'}: {message}")
    if isinstance(exc, BotoCoreError):
        return SourceFailed(f"{where}: {exc}")
    return exc
