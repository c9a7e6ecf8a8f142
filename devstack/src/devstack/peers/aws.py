"""moto in server mode as the AWS peer (S3, Cost Explorer) of the ops dashboard's tests, the
demo (`make dev DEMO=1`) and the browser tests.

The server is moto's own WSGI app on 127.0.0.1 and a free port, served like moto's
`ThreadedMotoServer` does, with one addition: it records the requests it answers, so a test
can count the Cost Explorer calls a report makes (each costs 0.01 USD on AWS). moto keeps its
state per process: two peers in one process share their buckets and queued answers.

Cost Explorer answers are loaded with moto's documented API
(`POST /moto-api/static/ce/cost-and-usage-results`): moto hands them out in order, one per
distinct GetCostAndUsage request, and repeats an answer for the same request. GetCostForecast
is not implemented by moto (it answers 500).
"""

from __future__ import annotations

import json
import secrets
import string
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from types import TracebackType
from typing import Any

import boto3
import httpx
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

__all__ = ["COST_RESULT_ORDER", "MotoPeer", "cost_results_for_peer"]

# The order of the GetCostAndUsage calls in one report of portal.ops.cost.explorer
# (its COST_QUERIES; a test asserts both agree).
COST_RESULT_ORDER = ("daily", "by_service", "by_app")
APP_TAG = "app"
UNTAGGED_NAMES = frozenset({"", "(untagged)"})

# method, path with query, operation (X-Amz-Target's last part for JSON APIs, else "")
Request = tuple[str, str, str]


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request drowns the demo's and the tests' output; errors still log


def _recording(app: Any, record: Callable[[Request], None]) -> Callable[..., Any]:
    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        query = str(environ.get("QUERY_STRING", ""))
        path = str(environ.get("PATH_INFO", "")) + (f"?{query}" if query else "")
        record((str(environ.get("REQUEST_METHOD", "")), path, target.rsplit(".", 1)[-1]))
        return app(environ, start_response)

    return wsgi


def _fake_access_key() -> str:
    # Not 12 digits: moto would read such a key as an account id.
    alphabet = string.ascii_uppercase + string.digits
    return "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))


class MotoPeer:
    """`with MotoPeer() as peer:` a moto server; `peer.env()` points the portal at it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, region: str = "ap-northeast-2"):
        self.host, self.region = host, region
        self._port = port
        self.url = ""
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        # Generated at run time: moto accepts any credentials, and none belong in git.
        self.access_key_id = _fake_access_key()
        self.secret_access_key = secrets.token_urlsafe(30)

    def start(self) -> MotoPeer:
        app = _recording(DomainDispatcherApplication(create_backend_app), self._record)
        self._server = make_server(
            self.host, self._port, app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://{self.host}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-peer", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MotoPeer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def operations(self, names: Iterable[str] | None = None) -> list[str]:
        """The operations served so far (e.g. GetCostAndUsage), optionally only `names`."""
        wanted = set(names) if names is not None else None
        with self._lock:
            ops = [op for _, _, op in self.requests if op]
        return [op for op in ops if wanted is None or op in wanted]

    def env(self) -> dict[str, str]:
        """What the portal (or any boto3 user) needs in its environment to use this peer."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "PORTAL_AWS_ENDPOINT_URL": self.url,
            "PORTAL_AWS_REGION": self.region,
        }

    def client(self, service: str) -> Any:
        """A boto3 client pointed at the peer, for seeding data."""
        session = boto3.session.Session(
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
        )
        config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1})
        # Any service name (the stubs only type literal names), so through a plain callable.
        make_client: Callable[..., Any] = session.client
        return make_client(service, endpoint_url=self.url, config=config)

    def set_cost_results(self, results: list[dict[str, Any]]) -> None:
        """Queue GetCostAndUsage response bodies; each new request takes the next one."""
        response = httpx.post(
            f"{self.url}/moto-api/static/ce/cost-and-usage-results",
            json={"results": results},
            timeout=10,
        )
        response.raise_for_status()

    def put_trivy_report(
        self,
        bucket: str,
        service: str,
        git_sha: str,
        report: Mapping[str, Any] | bytes,
        prefix: str = "trivy/",
    ) -> str:
        """Upload a report where the CI pipeline puts it; `bytes` are stored as they are."""
        s3 = self.client("s3")
        self._ensure_bucket(s3, bucket)
        key = f"{prefix}{service}/{git_sha}.json"
        body = report if isinstance(report, bytes) else json.dumps(report).encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
        return key

    def _ensure_bucket(self, s3: Any, bucket: str) -> None:
        options: dict[str, Any] = {"Bucket": bucket}
        if self.region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            s3.create_bucket(**options)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise

    def require_auth(self, enabled: bool = True) -> None:
        """Check every request's credentials and IAM policies, as AWS does (moto's reset-auth:
        off by default, when any key may do anything). Create IAM users with `client("iam")`
        before turning it on. A moto-wide setting, like all moto state."""
        body = b"0" if enabled else b"inf"
        response = httpx.post(f"{self.url}/moto-api/reset-auth", content=body, timeout=10)
        response.raise_for_status()

    def reset(self) -> None:
        """Forget every bucket, queued cost answer, IAM check and recorded request."""
        self.require_auth(False)
        httpx.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        with self._lock:
            self.requests.clear()


def _money(amount: float) -> dict[str, str]:
    # Cost Explorer sends amounts as decimal strings with up to 10 places.
    return {"Amount": f"{amount:.10f}", "Unit": "USD"}


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _grouped(
    definition: dict[str, str],
    costs: Mapping[str, float],
    key_of: Callable[[str], str],
    month: date,
) -> dict[str, Any]:
    period = {"Start": month.isoformat(), "End": _next_month(month).isoformat()}
    groups = [
        {"Keys": [key_of(name)], "Metrics": {"UnblendedCost": _money(amount)}}
        for name, amount in costs.items()
    ]
    # With GroupBy, AWS leaves Total empty (see the AWS CLI example in tests/ops/fixtures).
    return {
        "GroupDefinitions": [definition],
        "ResultsByTime": [{"TimePeriod": period, "Total": {}, "Groups": groups, "Estimated": True}],
        "DimensionValueAttributes": [],
    }


def cost_results_for_peer(
    daily: list[tuple[date, float]],
    by_service: dict[str, float],
    by_app: dict[str, float],
    *,
    month_start: date,
) -> list[dict[str, Any]]:
    """The three GetCostAndUsage answers of one cost report, in COST_RESULT_ORDER, shaped like
    AWS's. Days of the current month are marked Estimated (AWS finalises a month later);
    an app named "" or "(untagged)" becomes the untagged group `app$`. Repeat the list to
    answer more reports (moto repeats its answer for an identical request anyway)."""
    days = [
        {
            "TimePeriod": {"Start": d.isoformat(), "End": (d + timedelta(days=1)).isoformat()},
            "Total": {"UnblendedCost": _money(amount)},
            "Groups": [],
            "Estimated": d >= month_start,
        }
        for d, amount in sorted(daily)
    ]
    answers = {
        "daily": {"GroupDefinitions": [], "ResultsByTime": days, "DimensionValueAttributes": []},
        "by_service": _grouped(
            {"Type": "DIMENSION", "Key": "SERVICE"}, by_service, lambda n: n, month_start
        ),
        "by_app": _grouped(
            {"Type": "TAG", "Key": APP_TAG},
            by_app,
            lambda n: f"{APP_TAG}${'' if n in UNTAGGED_NAMES else n}",
            month_start,
        ),
    }
    return [answers[name] for name in COST_RESULT_ORDER]
