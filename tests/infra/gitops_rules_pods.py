"""gitops rules on the apps' workloads: hardened containers with resources, probes on
/healthz and /readyz, image tags set by the overlay, an HPA (and a PDB in prod), migrations as a
PreSync hook, and ConfigMaps that hold only settings the app reads."""

from __future__ import annotations

from typing import Any

from auth_service.config import AuthSettings
from blog_service.config import BlogSettings
from portal.clients.base import Settings as ClientSettings
from portal.ops.access import _make_verifier
from portal.ops.settings import OpsSettings
from tests.infra.gitops_tree import APPS, pod_specs
from tests.infra.manifests import Manifest, of_kind

TMP = "/tmp"  # noqa: S108 - the path the read-only containers must get as an emptyDir


def hardening_problems(objects: list[Manifest]) -> list[str]:
    """Every container: non-root, read-only root with /tmp on an emptyDir, no privilege
    escalation, all capabilities dropped, RuntimeDefault seccomp, requests and limits."""
    problems = []
    for name, pod in pod_specs(objects):
        pod_context = pod.get("securityContext", {})
        empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            where = f"{name}/{container['name']}"
            context = container.get("securityContext", {})
            if not (context.get("runAsNonRoot") or pod_context.get("runAsNonRoot")):
                problems.append(f"{where}: runAsNonRoot is not true")
            if context.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem is not true")
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation is not false")
            if context.get("privileged"):
                problems.append(f"{where}: privileged")
            if "ALL" not in context.get("capabilities", {}).get("drop", []):
                problems.append(f"{where}: capabilities do not drop ALL")
            if context.get("capabilities", {}).get("add"):
                problems.append(f"{where}: adds capabilities")
            seccomp = context.get("seccompProfile") or pod_context.get("seccompProfile") or {}
            if seccomp.get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccompProfile is not RuntimeDefault")
            resources = container.get("resources", {})
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(section, {}):
                        problems.append(f"{where}: no {section}.{resource}")
        for container in pod["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            is_app = name.split("/")[1] in APPS or name.endswith("-migrate")
            if is_app and mounts.get(TMP) not in empty_dirs:
                problems.append(f"{name}/{container['name']}: /tmp is not an emptyDir")
    return problems


def probe_problems(objects: list[Manifest], app: str) -> list[str]:
    """The app's container is probed on /healthz (liveness) and /readyz (readiness)."""
    problems = []
    for deployment in of_kind(objects, "Deployment"):
        if deployment["metadata"]["name"] != app:
            continue
        container = next(c for c in deployment["spec"]["template"]["spec"]["containers"])
        ports = {p["name"] for p in container.get("ports", [])}
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container.get(probe, {}).get("httpGet", {})
            if get.get("path") != path or get.get("port") not in ports:
                problems.append(f"{app}: {probe} is not an httpGet of {path} on a named port")
        return problems
    return [f"{app}: no Deployment"]


def image_problems(objects: list[Manifest], app: str, base: list[Manifest]) -> list[str]:
    """The base names the image without a tag; the overlay gives it one (not latest)."""
    problems = []
    for _, pod in pod_specs(base):
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            if ":" in container["image"] or "@" in container["image"]:
                problems.append(f"base {container['name']}: the tag is not for the base")
    for _, pod in pod_specs(objects):
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            image = container["image"]
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            if not image.split("@")[0].split(":")[0].endswith(f"blog-platform/{app}"):
                problems.append(f"{container['name']}: image {image} is not blog-platform/{app}")
            if not tag or tag == "latest":
                problems.append(f"{container['name']}: image {image} has no fixed tag")
    return problems


def scaling_problems(objects: list[Manifest], app: str, env: str) -> list[str]:
    """An HPA scales the Deployment (so it sets no replicas); prod also has a PDB."""
    problems = []
    deployment = next(d for d in of_kind(objects, "Deployment") if d["metadata"]["name"] == app)
    hpas = of_kind(objects, "HorizontalPodAutoscaler")
    if [h["spec"]["scaleTargetRef"]["name"] for h in hpas] != [app]:
        problems.append(f"{app}/{env}: not exactly one HPA for the Deployment")
    if "replicas" in deployment["spec"]:
        problems.append(f"{app}/{env}: the Deployment sets replicas although an HPA scales it")
    pdbs = of_kind(objects, "PodDisruptionBudget")
    if env == "prod":
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selecting = [
            p for p in pdbs if p["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        ]
        if not selecting:
            problems.append(f"{app}/{env}: no PodDisruptionBudget selects the pods")
    return problems


def migration_problems(objects: list[Manifest], app: str) -> list[str]:
    jobs = of_kind(objects, "Job")
    hooks = [
        j
        for j in jobs
        if j["metadata"].get("annotations", {}).get("argocd.argoproj.io/hook") == "PreSync"
    ]
    if not hooks:
        return [f"{app}: no PreSync migration Job"]
    command = hooks[0]["spec"]["template"]["spec"]["containers"][0].get("command", [])
    if command[-1:] != ["migrate"]:
        return [f"{app}: the PreSync Job does not run `migrate`"]
    return []


class _AskedFor(dict[str, str]):
    """An empty environment that remembers which variables the code looked up."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return default


def portal_setting_names() -> set[str]:
    """What the portal reads: its API clients, the ops dashboard and the admin check."""
    environ = _AskedFor()
    ClientSettings.from_env(environ)
    OpsSettings.from_env(environ)
    _make_verifier(environ)
    # Read by the runtime, not by the portal's code: logging, and boto3's region.
    return environ.asked | {"ENVIRONMENT", "LOG_LEVEL", "AWS_REGION"}


def setting_names(app: str) -> set[str]:
    """The environment variables an app reads (its pydantic-settings class, PLATFORM.md)."""
    if app == "portal":
        return portal_setting_names()
    settings = AuthSettings if app == "auth-service" else BlogSettings
    prefix = str(settings.model_config.get("env_prefix", ""))
    names = set()
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        names.add(str(choices[0]) if choices else f"{prefix}{field_name}".upper())
    return names


def settings_problems(objects: list[Manifest], app: str) -> list[str]:
    known = setting_names(app)
    return [
        f"{cm['metadata']['name']}: {key} is not a setting of {app}"
        for cm in of_kind(objects, "ConfigMap")
        for key in cm.get("data", {})
        if key not in known
    ]
