"""A small Kubernetes API server for the ops dashboard's tests and demo mode.

It answers the custom-resource paths the portal reads and patches (Argo CD Applications,
trivy-operator VulnerabilityReports) with Kubernetes-shaped JSON, from objects held in memory,
so the real `kubernetes` client can be pointed at it through a generated kubeconfig. It is a
protocol peer for those paths, not a fake of the whole API: anything else is a 404 Status.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["KubePeer", "merge_patch"]

# plural -> (apiVersion, kind): the custom resources this peer serves.
RESOURCES = {
    "applications": ("argoproj.io/v1alpha1", "Application"),
    "vulnerabilityreports": ("aquasecurity.github.io/v1alpha1", "VulnerabilityReport"),
}
ROUTE = re.compile(
    r"^/apis/(?P<group>[^/]+)/(?P<version>[^/]+)"
    r"(?:/namespaces/(?P<namespace>[^/]+))?/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?/?$"
)
Key = tuple[str, str, str, str]  # apiVersion, kind, namespace, name


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge key by key, null deletes, the rest replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _status_body(code: int, message: str) -> dict[str, Any]:
    try:
        reason = HTTPStatus(code).phrase.replace(" ", "")
    except ValueError:
        reason = "Unknown"
    reason = {"InternalServerError": "InternalError"}.get(reason, reason)
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, (part.strip() for part in selector.split(","))):
        key, _, value = term.replace("==", "=").partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


class KubePeer:
    """In-memory custom objects behind a real HTTP server on 127.0.0.1 (port 0: any free one)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._objects: dict[Key, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._version = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.requests: list[tuple[str, str]] = []
        self.fail_status: int | None = None
        self.delay_seconds = 0.0
        self.required_token: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> KubePeer:
        server = ThreadingHTTPServer(self._address, _handler_for(self))
        server.daemon_threads = True
        server.block_on_close = False  # a handler sleeping for delay_seconds must not hold stop()
        self._server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits up to one poll
            name="kube-peer",
            daemon=True,
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

    def __enter__(self) -> KubePeer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- objects -----------------------------------------------------------------------------

    def add(self, obj: dict[str, Any]) -> None:
        """Store (or replace) `obj`; it needs apiVersion, kind, metadata.name (and namespace)."""
        stored = copy.deepcopy(obj)
        metadata = stored.setdefault("metadata", {})
        key = (
            stored["apiVersion"],
            stored["kind"],
            metadata.get("namespace", ""),
            metadata["name"],
        )
        with self._lock:
            metadata["resourceVersion"] = self._bump()
            self._objects[key] = stored

    def remove(self, api_version: str, kind: str, namespace: str, name: str) -> None:
        with self._lock:
            self._objects.pop((api_version, kind, namespace, name), None)

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._objects.get((api_version, kind, namespace, name))
            return copy.deepcopy(found) if found is not None else None

    def write_kubeconfig(self, path: Path, token: str | None = None) -> Path:
        """A kubeconfig (JSON, which is YAML) whose current context talks to this peer."""
        token = token or self.required_token or secrets.token_urlsafe(24)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kube-peer", "cluster": {"server": self.url}}],
            "users": [{"name": "kube-peer-user", "user": {"token": token}}],
            "contexts": [
                {"name": "kube-peer", "context": {"cluster": "kube-peer", "user": "kube-peer-user"}}
            ],
            "current-context": "kube-peer",
        }
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        return path

    def _bump(self) -> str:
        self._version += 1
        return str(self._version)

    # -- the API -----------------------------------------------------------------------------

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for one request (the HTTP handler only transports it)."""
        split = urlsplit(target)
        self.requests.append((method, split.path))
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        if self.fail_status is not None:
            return self.fail_status, _status_body(self.fail_status, "failure set on the peer")
        if self.required_token is not None:
            expected = f"Bearer {self.required_token}"
            if not secrets.compare_digest(headers.get("authorization", ""), expected):
                return 401, _status_body(401, "Unauthorized")
        route = ROUTE.match(split.path)
        served = RESOURCES.get(route["plural"]) if route else None
        if route is None or served is None or served[0] != f"{route['group']}/{route['version']}":
            return 404, _status_body(
                404, f"the server could not find the requested resource: {split.path}"
            )
        api_version, kind = served
        namespace, name = route["namespace"] or "", route["name"]
        if name is None and method == "GET":
            selector = parse_qs(split.query).get("labelSelector", [""])[0]
            return 200, self._list(api_version, kind, namespace or None, selector)
        if name is None or not namespace:
            return 405, _status_body(405, f"{method} is not supported on {split.path}")
        if method == "GET":
            found = self.get(api_version, kind, namespace, name)
            if found is None:
                return 404, _status_body(
                    404, f'{route["plural"]}.{route["group"]} "{name}" not found'
                )
            return 200, found
        if method == "PATCH":
            return self._patch((api_version, kind, namespace, name), route["plural"], headers, body)
        return 405, _status_body(405, f"{method} is not supported on {split.path}")

    def _list(
        self, api_version: str, kind: str, namespace: str | None, selector: str
    ) -> dict[str, Any]:
        with self._lock:
            items = [
                copy.deepcopy(obj)
                for (version, obj_kind, obj_ns, _), obj in sorted(self._objects.items())
                if version == api_version
                and obj_kind == kind
                and (namespace is None or obj_ns == namespace)
                and _matches(obj.get("metadata", {}).get("labels") or {}, selector)
            ]
            return {
                "apiVersion": api_version,
                "kind": f"{kind}List",
                "metadata": {"resourceVersion": str(self._version)},
                "items": items,
            }

    def _patch(
        self, key: Key, plural: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if content_type != "application/merge-patch+json":
            # Like the real API server: custom resources take no strategic merge patch.
            return 415, _status_body(
                415, f"the body of the request was in an unknown format: {content_type}"
            )
        try:
            patch = json.loads(body or b"null")
        except ValueError as exc:
            return 400, _status_body(400, f"invalid JSON: {exc}")
        if not isinstance(patch, dict):
            return 400, _status_body(400, "a merge patch must be a JSON object")
        with self._lock:
            current = self._objects.get(key)
            if current is None:
                return 404, _status_body(404, f'{plural} "{key[3]}" not found')
            wanted = (patch.get("metadata") or {}).get("resourceVersion")
            if wanted is not None and wanted != current["metadata"]["resourceVersion"]:
                return 409, _status_body(
                    409,
                    f'Operation cannot be fulfilled on {plural} "{key[3]}": '
                    "the object has been modified; please apply your changes to the latest version",
                )
            patched = merge_patch(current, patch)
            patched["metadata"]["resourceVersion"] = self._bump()
            self._objects[key] = patched
            return 200, copy.deepcopy(patched)


def _rfc3339(value: object) -> str:
    """Objects loaded from YAML hold datetimes; the API writes them as RFC 3339 text."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _handler_for(peer: KubePeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, payload = peer.answer(self.command, self.path, headers, body)
            raw = json.dumps(payload, default=_rfc3339).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout is shorter than delay_seconds)

        do_GET = do_PATCH = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 (http.server's names)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tests and the demo read `peer.requests`, not stderr

    return Handler
