"""Argo CD through the Kubernetes API: read Applications, and the two admin actions.

The portal needs only RBAC on `applications.argoproj.io` (get/list/watch/patch in the Argo
CD namespace), no Argo CD account. The actions use what Argo CD documents on the object:
refresh is the `argocd.argoproj.io/refresh` annotation, sync is the `operation` field (what
`argocd app sync` and `kubectl patch --type merge` set). Each action is audited, including
refusals and failures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from kubernetes import client as k8s

from portal.ops.argocd.ledger import ImageLedger
from portal.ops.argocd.models import AppStatus
from portal.ops.argocd.parse import parse_application
from portal.ops.audit import AuditLog
from portal.ops.kube import KubeRequest, kube_call
from portal.ops.panel import SourceError, SourceFailed
from portal.ops.settings import OpsSettings

__all__ = ["WHAT", "ArgoCDSource", "SyncRefused"]

WHAT = "Argo CD (through the Kubernetes API)"
GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"


class SyncRefused(SourceFailed):
    """A sync was not started because another operation is under way."""


def _sync_operation(app: dict[str, Any], actor: str) -> dict[str, Any]:
    """The `operation` that asks Argo CD for a sync to the app's target revision(s)."""
    spec = app.get("spec") or {}
    sync: dict[str, Any] = {"syncStrategy": {"hook": {}}}
    sources = spec.get("sources")
    if isinstance(sources, list) and sources:
        sync["revisions"] = [str((s or {}).get("targetRevision") or "") for s in sources]
    else:
        sync["revision"] = str((spec.get("source") or {}).get("targetRevision") or "")
    return {"sync": sync, "initiatedBy": {"username": actor}}


class ArgoCDSource:
    def __init__(
        self,
        settings: OpsSettings,
        ledger: ImageLedger | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.settings = settings
        self._owns_ledger, self._owns_audit = ledger is None, audit is None
        self.ledger = ledger if ledger is not None else ImageLedger(settings.redis_url)
        self.audit = audit if audit is not None else AuditLog(settings.redis_url)
        namespace = settings.argocd_namespace
        self._read_rbac = f"get/list on {PLURAL}.{GROUP} in {namespace}"
        self._patch_rbac = f"get/patch on {PLURAL}.{GROUP} in {namespace}"

    async def close(self) -> None:
        """Close the Redis connections of the ledger and audit log this source made itself."""
        if self._owns_ledger:
            await self.ledger.close()
        if self._owns_audit:
            await self.audit.close()

    async def applications(self) -> list[AppStatus]:
        """Every Application in the Argo CD namespace, by name, with history images filled in."""

        def call(api: k8s.ApiClient, timeout: KubeRequest) -> Any:
            return k8s.CustomObjectsApi(api).list_namespaced_custom_object(
                GROUP, VERSION, self.settings.argocd_namespace, PLURAL, _request_timeout=timeout
            )

        listing = await kube_call(self.settings, WHAT, self._read_rbac, call)
        items = listing.get("items") if isinstance(listing, dict) else None
        apps = sorted(
            (parse_application(item) for item in items or [] if isinstance(item, dict)),
            key=lambda a: a.name,
        )
        return [await self._with_images(app) for app in apps]

    async def _with_images(self, app: AppStatus) -> AppStatus:
        await self.ledger.record(app)
        known = await self.ledger.images_for(app.name, [h.revision for h in app.history])
        history = [
            h.model_copy(update={"images": known[h.revision]}) if h.revision in known else h
            for h in app.history
        ]
        return app.model_copy(update={"history": history})

    async def refresh(self, name: str, *, hard: bool = False, actor: str) -> None:
        """Ask Argo CD to compare the app with git again (hard: also regenerate manifests)."""
        level = "hard" if hard else "normal"
        action = "hard_refresh" if hard else "refresh"
        patch = {"metadata": {"annotations": {REFRESH_ANNOTATION: level}}}
        async with self._audited(actor, action, name):
            await self._patch(name, patch)
        await self._audit(actor, action, name, "requested", f"{REFRESH_ANNOTATION}={level}")

    async def sync(self, name: str, *, actor: str) -> None:
        """Start a sync to the target revision; refused while an operation is under way."""
        async with self._audited(actor, "sync", name):
            app = await self._get(name)
        state = (app.get("status") or {}).get("operationState") or {}
        if app.get("operation") or state.get("phase") == "Running":
            phase = state.get("phase") or "requested"
            reason = f"A sync of {name} is already under way ({phase}); wait for it to finish."
            await self._audit(actor, "sync", name, "refused", reason)
            raise SyncRefused(reason)
        operation = _sync_operation(app, actor)
        version = (app.get("metadata") or {}).get("resourceVersion")
        # With resourceVersion the API answers 409 if someone changed the app meanwhile.
        async with self._audited(actor, "sync", name):
            await self._patch(
                name, {"metadata": {"resourceVersion": version}, "operation": operation}
            )
        sync = operation["sync"]
        target = sync.get("revision", sync.get("revisions"))
        await self._audit(actor, "sync", name, "requested", f"revision {target!r}")

    @asynccontextmanager
    async def _audited(self, actor: str, action: str, name: str) -> AsyncIterator[None]:
        """Audit a failed call as "failed" with its reason, then let the error go on."""
        try:
            yield
        except (SourceError, TimeoutError) as exc:
            reason = exc.reason if isinstance(exc, SourceError) else f"no answer in time: {exc}"
            await self._audit(actor, action, name, "failed", reason)
            raise

    async def _audit(self, actor: str, action: str, name: str, outcome: str, detail: str) -> None:
        target = f"{self.settings.argocd_namespace}/{name}"
        await self.audit.record(actor, action, target, outcome, detail)

    async def _get(self, name: str) -> dict[str, Any]:
        def call(api: k8s.ApiClient, timeout: KubeRequest) -> Any:
            return k8s.CustomObjectsApi(api).get_namespaced_custom_object(
                GROUP,
                VERSION,
                self.settings.argocd_namespace,
                PLURAL,
                name,
                _request_timeout=timeout,
            )

        found = await kube_call(self.settings, WHAT, self._read_rbac, call)
        return found if isinstance(found, dict) else {}

    async def _patch(self, name: str, patch: dict[str, Any]) -> None:
        def call(api: k8s.ApiClient, timeout: KubeRequest) -> Any:
            return k8s.CustomObjectsApi(api).patch_namespaced_custom_object(
                GROUP,
                VERSION,
                self.settings.argocd_namespace,
                PLURAL,
                name,
                patch,
                _request_timeout=timeout,
                _content_type="application/merge-patch+json",
            )

        await kube_call(self.settings, WHAT, self._patch_rbac, call)
