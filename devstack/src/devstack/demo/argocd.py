"""Argo CD `Application` objects for the demo, in the shape `kubectl get application -o yaml`
prints (argoproj.io/v1alpha1, the pre-3.0 layout with health persisted per resource)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from devstack.demo.model import JSON, AppPlan, Deployment, iso, pick

__all__ = ["GITOPS_REPO", "application"]

GITOPS_REPO = "https://github.com/blog-platform/blog-platform.git"
# Mostly healthy, as a real cluster is; enough of the rest to show every state.
SYNC_WEIGHTS = {"Synced": 7, "OutOfSync": 3}
HEALTH_WEIGHTS = {"Healthy": 7, "Progressing": 2, "Degraded": 2}
ROLLING = {
    "status": "Progressing",
    "message": "Waiting for rollout to finish: 1 of 2 updated replicas are available...",
}


def application(rng: random.Random, plan: AppPlan, now: datetime) -> JSON:
    """One Application in namespace argocd, its history ending at the plan's current build."""
    sync = pick(rng, SYNC_WEIGHTS)
    health = pick(rng, HEALTH_WEIGHTS)
    current = plan.current
    source = {
        "repoURL": GITOPS_REPO,
        "path": f"gitops/apps/{plan.service}/overlays/{plan.env}",
        "targetRevision": "main",
    }
    destination = {"server": "https://kubernetes.default.svc", "namespace": "blog"}
    status: JSON = {
        "sync": {
            "status": sync,
            "comparedTo": {"source": source, "destination": destination},
            "revision": current.revision,
        },
        "health": _health(health, plan),
        "history": [_history_entry(d, source) for d in plan.deployments],
        "operationState": _operation_state(rng, current, source, plan, health),
        "reconciledAt": iso(now - timedelta(seconds=rng.randint(10, 170))),
        "resources": _resources(plan, sync, health),
        "sourceType": "Kustomize",
        "summary": {"images": [current.build.image]},
        "controllerNamespace": "argocd",
    }
    conditions = _conditions(rng, plan, sync, health, now)
    if conditions:
        status["conditions"] = conditions
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": plan.name,
            "namespace": "argocd",
            "labels": {
                "app": plan.service,
                "app.kubernetes.io/part-of": "blog-platform",
                "blog-platform/env": plan.env,
            },
            "annotations": {"argocd.argoproj.io/sync-wave": "2"},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
            "creationTimestamp": iso(plan.deployments[0].started_at - timedelta(days=3)),
            "generation": rng.randint(40, 900),
            "resourceVersion": str(rng.randint(10**6, 10**8)),
            "uid": _uid(rng),
        },
        "spec": {
            "project": "blog-platform",
            "source": source,
            "destination": destination,
            "syncPolicy": _sync_policy(plan.env),
        },
        "status": status,
    }


def _uid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _sync_policy(env: str) -> JSON:
    retry = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}}
    if env == "prod":  # prod is synced by a person (the platform's promotion rule)
        return {"retry": retry}
    return {"automated": {"prune": True, "selfHeal": True}, "retry": retry}


def _health(health: str, plan: AppPlan) -> JSON:
    if health == "Degraded":
        return {
            "status": health,
            "message": f"Deployment {plan.name} exceeded its progress deadline",
        }
    return {"status": health}


def _history_entry(deployment: Deployment, source: JSON) -> JSON:
    return {
        "id": deployment.id,
        "revision": deployment.revision,
        "deployStartedAt": iso(deployment.started_at),
        "deployedAt": iso(deployment.finished_at),
        "source": source,
        # Argo CD 2.9+ records who started each deployment (a person, or the sync policy).
        "initiatedBy": _initiator(deployment),
    }


def _initiator(deployment: Deployment) -> JSON:
    if deployment.initiated_by:
        return {"username": deployment.initiated_by}
    return {"automated": True}


def _operation_state(
    rng: random.Random, current: Deployment, source: JSON, plan: AppPlan, health: str
) -> JSON:
    failed = health == "Degraded" and rng.random() < 0.5
    phase = "Failed" if failed else "Succeeded"
    message = (
        f'one or more objects failed to apply, reason: Deployment.apps "{plan.name}" is invalid'
        if failed
        else "successfully synced (all tasks run)"
    )
    return {
        "operation": {
            "sync": {"revision": current.revision, "syncStrategy": {"hook": {}}},
            "initiatedBy": _initiator(current),
            "retry": {"limit": 5},
        },
        "phase": phase,
        "message": message,
        "syncResult": {
            "resources": [
                {
                    "group": group,
                    "version": "v1",
                    "kind": kind,
                    "namespace": "blog",
                    "name": name,
                    "status": "SyncFailed" if failed and kind == "Deployment" else "Synced",
                    "message": f"{kind.lower()}/{name} configured",
                    "hookPhase": "Running",
                    "syncPhase": "Sync",
                }
                for group, kind, name in _objects(plan)
            ],
            "revision": current.revision,
            "source": source,
        },
        "startedAt": iso(current.started_at),
        "finishedAt": iso(current.finished_at),
    }


def _objects(plan: AppPlan) -> list[tuple[str, str, str]]:
    return [
        ("", "Service", plan.name),
        ("", "ServiceAccount", plan.name),
        ("apps", "Deployment", plan.name),
        ("policy", "PodDisruptionBudget", plan.name),
        ("networking.istio.io", "VirtualService", plan.name),
    ]


def _resources(plan: AppPlan, sync: str, health: str) -> list[JSON]:
    resources = []
    for group, kind, name in _objects(plan):
        resource: JSON = {
            "version": "v1" if group != "networking.istio.io" else "v1beta1",
            "kind": kind,
            "namespace": "blog",
            "name": name,
            "status": "Synced",
        }
        if group:
            resource["group"] = group
        if kind in {"Service", "Deployment", "PodDisruptionBudget"}:
            resource["health"] = {"status": "Healthy"}
        if kind == "Deployment":
            if sync == "OutOfSync":
                resource["status"] = "OutOfSync"
            if health != "Healthy":
                resource["health"] = _health(health, plan) if health == "Degraded" else ROLLING
        resources.append(resource)
    return resources


def _conditions(
    rng: random.Random, plan: AppPlan, sync: str, health: str, now: datetime
) -> list[JSON]:
    when = iso(now - timedelta(minutes=rng.randint(3, 600)))
    conditions: list[JSON] = []
    if health == "Degraded" and rng.random() < 0.6:
        conditions.append(
            {
                "type": "SyncError",
                "message": f"Failed sync attempt to {plan.current.revision}: one or more "
                "objects failed to apply (retried 5 times).",
                "lastTransitionTime": when,
            }
        )
    if sync == "OutOfSync" and rng.random() < 0.4:
        conditions.append(
            {
                "type": "OrphanedResourceWarning",
                "message": "Application has 1 orphaned resources",
                "lastTransitionTime": when,
            }
        )
    return conditions
