"""Argo CD Application objects to `AppStatus` (pure functions, no I/O).

Accepts what real clusters hold: the custom resource (`kubectl get application -o yaml`) and
the REST API's shape without apiVersion/kind; the pre-3.0 status layout (each resource's
health in `status.resources[]`) and the 3.x one (`resourceHealthSource: appTree`, resource
health kept in the controller's tree instead); single and multi-source apps; revisions that
are tags or placeholders, not SHAs; and objects whose `status` is missing altogether.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from portal.ops.argocd.models import AppStatus, Condition, HistoryEntry, ResourceIssue
from portal.ops.kube import as_list as _list
from portal.ops.kube import as_map as _map
from portal.ops.kube import as_text as _text
from portal.ops.kube import as_time as _time

__all__ = ["commit_url", "is_sha", "parse_application", "short_revision"]

HISTORY_LIMIT = 10  # Argo CD's default revisionHistoryLimit
_SHA = re.compile(r"[0-9a-f]{7,64}")
_SSH = re.compile(r"^(?:ssh://)?git@(?P<host>[^:/]+)[:/](?P<path>.+)$")


def is_sha(revision: str) -> bool:
    """A git commit (7 to 64 hex characters), as opposed to a tag, branch or "rev1"."""
    return bool(_SHA.fullmatch(revision))


def short_revision(revision: str) -> str:
    return revision[:7] if is_sha(revision) else revision


def commit_url(repo_url: str, revision: str) -> str:
    """A link to the commit on GitHub or GitLab (https or ssh remotes), else ""."""
    if not is_sha(revision):
        return ""
    repo = repo_url.strip()
    ssh = _SSH.match(repo)
    if ssh:
        host, path = ssh["host"], ssh["path"]
    elif repo.startswith("https://"):
        host, _, path = repo.removeprefix("https://").partition("/")
    else:
        return ""
    path = path.strip("/").removesuffix(".git")
    if not path or "/" not in path:
        return ""
    host = host.lower()
    if host in {"github.com", "www.github.com"}:
        return f"https://github.com/{path}/commit/{revision}"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return f"https://{host}/{path}/-/commit/{revision}"
    return ""


def _sources(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The app's sources in order: `spec.sources[]` (multi-source) or `[spec.source]`."""
    many = [_map(s) for s in _list(spec.get("sources"))]
    return many or ([_map(spec.get("source"))] if spec.get("source") else [])


def _main_index(sources: list[Mapping[str, Any]]) -> int:
    """Which source's revision the dashboard shows: the first git one (not a Helm chart)."""
    for index, source in enumerate(sources):
        if not source.get("chart"):
            return index
    return 0


def _pick(revisions: list[Any], index: int) -> str:
    if not revisions:
        return ""
    return _text(revisions[index] if index < len(revisions) else revisions[0])


def _initiator(initiated_by: Any) -> str:
    who = _map(initiated_by)
    if who.get("username"):
        return _text(who["username"])
    return "automated" if who.get("automated") is True else ""


def _issues(resources: list[Any]) -> list[ResourceIssue]:
    issues = []
    for item in map(_map, resources):
        sync = _text(item.get("status"))
        health = _map(item.get("health"))
        health_status = _text(health.get("status"))
        out_of_sync = bool(sync) and sync != "Synced"
        unhealthy = bool(health_status) and health_status != "Healthy"
        if out_of_sync or unhealthy:
            issues.append(
                ResourceIssue(
                    kind=_text(item.get("kind")),
                    name=_text(item.get("name")),
                    namespace=_text(item.get("namespace")),
                    group=_text(item.get("group")),
                    sync_status=sync,
                    health_status=health_status,
                    message=_text(health.get("message")),
                )
            )
    return issues


def _history(
    entries: list[Any], sources: list[Mapping[str, Any]], index: int
) -> list[HistoryEntry]:
    parsed = []
    for raw in map(_map, entries):
        entry_sources = [_map(s) for s in _list(raw.get("sources"))] or (
            [_map(raw["source"])] if raw.get("source") else sources
        )
        revision = _text(raw.get("revision")) or _pick(_list(raw.get("revisions")), index)
        repo = _text(
            _map(entry_sources[index] if index < len(entry_sources) else {}).get("repoURL")
        )
        entry_id = raw.get("id")
        parsed.append(
            HistoryEntry(
                id=entry_id if isinstance(entry_id, int) else 0,
                revision=revision,
                deployed_at=_time(raw.get("deployedAt")),
                deploy_started_at=_time(raw.get("deployStartedAt")),
                initiated_by=_initiator(raw.get("initiatedBy")),
                revision_url=commit_url(repo, revision),
            )
        )
    oldest = datetime.min.replace(tzinfo=UTC)
    parsed.sort(key=lambda e: (e.id, e.deployed_at or oldest), reverse=True)
    return parsed[:HISTORY_LIMIT]


def parse_application(obj: Mapping[str, Any]) -> AppStatus:
    """One Application; absent or odd fields give defaults, never an exception."""
    metadata, spec, status = (
        _map(obj.get("metadata")),
        _map(obj.get("spec")),
        _map(obj.get("status")),
    )
    labels = _map(metadata.get("labels"))
    name = _text(metadata.get("name"))
    sources = _sources(spec)
    index = _main_index(sources)
    source = sources[index] if sources else {}
    sync, health = _map(status.get("sync")), _map(status.get("health"))
    revision = _text(sync.get("revision")) or _pick(_list(sync.get("revisions")), index)
    operation_state = _map(status.get("operationState"))
    operation = _map(operation_state.get("operation"))
    repo_url = _text(source.get("repoURL"))
    return AppStatus(
        name=name,
        namespace=_text(metadata.get("namespace")),
        project=_text(spec.get("project")) or "default",
        app=_text(labels.get("app") or labels.get("app.kubernetes.io/name")) or name,
        repo_url=repo_url,
        path=_text(source.get("path") or source.get("chart")),
        target_revision=_text(source.get("targetRevision")),
        destination_namespace=_text(_map(spec.get("destination")).get("namespace")),
        sync_status=_text(sync.get("status")) or "Unknown",
        health_status=_text(health.get("status")) or "Unknown",
        health_message=_text(health.get("message")),
        revision=revision,
        revision_short=short_revision(revision),
        revision_url=commit_url(repo_url, revision),
        revisions=[_text(r) for r in _list(sync.get("revisions"))],
        last_sync_at=_time(operation_state.get("finishedAt"))
        or _time(operation_state.get("startedAt")),
        last_sync_by=_initiator(operation.get("initiatedBy")),
        last_sync_phase=_text(operation_state.get("phase")),
        last_sync_message=_text(operation_state.get("message")),
        reconciled_at=_time(status.get("reconciledAt")),
        images=[_text(i) for i in _list(_map(status.get("summary")).get("images"))],
        issues=_issues(_list(status.get("resources"))),
        conditions=[
            Condition(
                type=_text(c.get("type")) or "Unknown",
                message=_text(c.get("message")),
                last_transition=_time(c.get("lastTransitionTime")),
            )
            for c in map(_map, _list(status.get("conditions")))
        ],
        history=_history(_list(status.get("history")), sources, index),
        resource_health_in_tree=_text(status.get("resourceHealthSource")) == "appTree",
        operation_running=bool(obj.get("operation"))
        or _text(operation_state.get("phase")) == "Running",
    )
