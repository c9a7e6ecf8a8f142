"""The Kubernetes API for the ops sources: a client from the settings, and errors in words.

`kube_call` builds a `kubernetes` ApiClient (a kubeconfig file and optional context, or the
in-cluster service account), runs one blocking call in a thread with the client's own socket
timeout below the panel deadline, and turns what can go wrong into the SourceError a person
can act on (which credentials, which RBAC, which address).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from portal.ops.panel import NotConfigured, SourceError, SourceFailed, Unauthorised, Unreachable
from portal.ops.settings import OpsSettings

__all__ = [
    "KUBE_SETTINGS",
    "KubeRequest",
    "as_list",
    "as_map",
    "as_text",
    "as_time",
    "kube_call",
    "not_configured",
    "request_timeout",
]

T = TypeVar("T")
# What a person sets to give the portal a cluster (named by every NotConfigured).
KUBE_SETTINGS = ("PORTAL_KUBECONFIG", "an in-cluster service account")
# (connect, read) seconds for one API call, in the form the kubernetes client takes.
KubeRequest = tuple[float, float]


def as_map(value: Any) -> Mapping[str, Any]:
    """Reading objects from real clusters: a field of the wrong type reads as absent."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def as_time(value: Any) -> datetime | None:
    """RFC 3339 text, or the datetime YAML already made of it; naive means UTC."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str) and value:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def not_configured(what: str) -> NotConfigured:
    return NotConfigured(what, *KUBE_SETTINGS)


def request_timeout(settings: OpsSettings) -> KubeRequest:
    """Below the panel deadline, so the thread ends soon after the panel gave up."""
    total = max(0.1, settings.timeout_seconds * 0.8)
    return (min(total, 2.0), total)


def build_api_client(settings: OpsSettings) -> k8s.ApiClient:
    """A client for the configured cluster (blocking: reads files); no retries, one try."""
    configuration = k8s.Configuration()
    if settings.kubeconfig:
        k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=settings.kubeconfig,
            context=settings.kube_context or None,
            client_configuration=configuration,
            persist_config=False,
        )
    else:
        k8s_config.load_incluster_config(  # type: ignore[no-untyped-call]
            client_configuration=configuration
        )
    # The panel has its own deadline and cache: a retry would only outlive it.
    configuration.retries = False
    return k8s.ApiClient(configuration)


def _status_message(exc: ApiException) -> str:
    """The `message` of the Kubernetes Status body, else the HTTP reason."""
    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(exc.reason or "")


def _translate(exc: BaseException, where: str, need: str) -> BaseException:
    """The error to raise instead of `exc` (TimeoutError stays a timeout for the loader)."""
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        message = _status_message(exc)
        if status == 401:
            return Unauthorised(
                f"{where}: 401 Unauthorized — the API refused the portal's credentials "
                "(expired or wrong token in the kubeconfig or service account)."
            )
        if status == 403:
            return Unauthorised(
                f"{where}: 403 Forbidden — the portal's service account needs {need}."
            )
        if status == 0:  # the client's own wrapper for TLS failures
            return Unreachable(f"{where}: could not connect ({message.splitlines()[0]}).")
        return SourceFailed(f"{where}: {status} {exc.reason or ''} — {message}".replace("  ", " "))
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # also DNS (NameResolutionError)
        return Unreachable(f"{where}: could not connect ({exc}).")
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return TimeoutError(f"{where}: no answer in time ({exc}).")
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return Unreachable(f"{where}: connection failed ({exc}).")
    return exc


async def kube_call(
    settings: OpsSettings,
    what: str,
    need: str,
    call: Callable[[k8s.ApiClient, KubeRequest], T],
) -> T:
    """Run `call(api_client, request_timeout)` in a thread, with errors as SourceErrors.

    `what` names the source for "not configured"; `need` is the RBAC the call needs, shown
    on a 403 ("get/list on applications.argoproj.io in argocd").
    """
    if not settings.kubernetes_configured:
        raise not_configured(what)
    timeout = request_timeout(settings)

    def run() -> T:
        source = f"kubeconfig {settings.kubeconfig}" if settings.kubeconfig else "in-cluster"
        try:
            api_client = build_api_client(settings)
        except (ConfigException, OSError, ValueError) as exc:
            raise SourceFailed(
                f"Kubernetes API ({source}): cannot load the configuration: {exc}"
            ) from exc
        where = f"Kubernetes API at {api_client.configuration.host}"
        try:
            with api_client:
                return call(api_client, timeout)
        except SourceError:
            raise
        except Exception as exc:  # translated below; unknown errors pass through unchanged
            translated = _translate(exc, where, need)
            if translated is exc:
                raise
            raise translated from exc

    return await asyncio.to_thread(run)
