"""What the dashboard shows of one Argo CD Application (parsed from the custom resource)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from portal.ops.panel import Model

__all__ = ["AppStatus", "Condition", "HistoryEntry", "ResourceIssue"]


class ResourceIssue(Model):
    """A managed resource that is out of sync or not healthy."""

    kind: str
    name: str
    namespace: str = ""
    group: str = ""
    sync_status: str = ""  # Synced, OutOfSync, Unknown
    health_status: str = ""  # Healthy, Progressing, Degraded, Suspended, Missing, Unknown
    message: str = ""


class Condition(Model):
    type: str  # e.g. ComparisonError, SyncError, OrphanedResourceWarning
    message: str = ""
    last_transition: datetime | None = None


class HistoryEntry(Model):
    """One deployment in `status.history` (newest first once parsed)."""

    id: int
    revision: str  # a git SHA, a tag, or anything else the source uses ("rev1")
    deployed_at: datetime | None = None
    deploy_started_at: datetime | None = None
    initiated_by: str = ""  # username, or "automated" for the controller
    revision_url: str = ""  # commit link when the repo URL allows one
    # The images this revision ran, when the portal saw the app at that revision (the image
    # ledger); [] when it never did (deployed before the portal watched).
    images: list[str] = Field(default_factory=list)


class AppStatus(Model):
    name: str
    namespace: str  # where the Application object lives (argocd)
    project: str = "default"
    # The short `app` label the platform uses (PLATFORM.md), else `app.kubernetes.io/name`,
    # else the Application's name.
    app: str = ""
    repo_url: str = ""
    path: str = ""
    target_revision: str = ""
    destination_namespace: str = ""
    sync_status: str = "Unknown"  # Synced, OutOfSync, Unknown
    health_status: str = "Unknown"
    health_message: str = ""
    revision: str = ""
    revision_short: str = ""  # 7 characters of a SHA; the revision as it is otherwise
    revision_url: str = ""
    last_sync_at: datetime | None = None  # operationState.finishedAt (or startedAt)
    last_sync_by: str = ""
    last_sync_phase: str = ""  # Succeeded, Failed, Error, Running, Terminating
    last_sync_message: str = ""
    reconciled_at: datetime | None = None
    images: list[str] = Field(default_factory=list)
    issues: list[ResourceIssue] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)  # the last 10, newest first
    # Multi-source apps: every source's revision, in `spec.sources` order ([] otherwise).
    revisions: list[str] = Field(default_factory=list)
    # Argo CD 3.x (`resourceHealthSource: appTree`) keeps each resource's health out of the
    # object, so `issues` can only list sync problems; the page says so.
    resource_health_in_tree: bool = False
    # A sync (or other operation) is requested or running: a new sync is refused meanwhile.
    operation_running: bool = False
