"""gitops rules on the tree and the platform around the apps: no Secret in git, the platform's
labels and namespace, Kustomize `patches:` and `images:`, Argo CD's sync policies, waves and
project, and the portal's least-privilege RBAC."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.infra.gitops_tree import APPS, WORKLOADS
from tests.infra.manifests import Manifest, of_kind


def secret_problems(root: Path, built: list[Manifest]) -> list[str]:
    """No Secret object in any YAML file under gitops/ nor in any build, no secretGenerator."""
    problems = []
    for path in sorted(root.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict):
                if doc.get("kind") == "Secret":
                    problems.append(f"{path.relative_to(root)}: a Secret in git")
                if "secretGenerator" in doc:
                    problems.append(f"{path.relative_to(root)}: secretGenerator")
    problems += [f"built Secret/{o['metadata']['name']}" for o in of_kind(built, "Secret")]
    return problems


def label_problems(objects: list[Manifest], app: str) -> list[str]:
    """PLATFORM.md's labels on every object, every pod template; namespace blog."""
    wanted = {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/part-of": "blog-platform",
        "app": app,
    }
    problems = []
    for obj in objects:
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        labels = obj["metadata"].get("labels", {})
        templates = [obj["spec"]["template"]] if obj["kind"] in WORKLOADS else []
        for where, found in [(name, labels)] + [
            (f"{name} pod template", t["metadata"].get("labels", {})) for t in templates
        ]:
            missing = {k: v for k, v in wanted.items() if found.get(k) != v}
            if missing:
                problems.append(f"{where}: missing labels {missing}")
        namespace = obj["metadata"].get("namespace")
        rbac_in_argocd = obj["kind"] in {"Role", "RoleBinding"} and namespace == "argocd"
        if namespace != "blog" and not rbac_in_argocd:
            problems.append(f"{name}: namespace {namespace!r}, not blog")
    return problems


def kustomization_problems(root: Path) -> list[str]:
    """Style rule 20: `patches:`, never `patchesStrategicMerge`; tags only via `images:`."""
    problems = []
    for path in sorted(root.rglob("kustomization.yaml")):
        doc = yaml.safe_load(path.read_text())
        where = str(path.relative_to(root))
        if "patchesStrategicMerge" in doc or "patchesJson6902" in doc:
            problems.append(f"{where}: deprecated patch field")
        if path.parent.parent.name == "overlays" and path.parts[-5] == "apps":
            app = path.parts[-4]
            names = [image.get("name") for image in doc.get("images", [])]
            if f"blog-platform/{app}" not in names:
                problems.append(f"{where}: no images: entry for blog-platform/{app}")
    return problems


def argocd_problems(objects: list[Manifest], env: str) -> list[str]:
    """dev syncs itself (prune, self-heal), prod waits for a person; the platform's waves come
    before the apps'; every source is the project's; the project allows no wildcard."""
    problems = []
    apps = of_kind(objects, "Application")
    waves = {
        a["metadata"]["name"]: int(
            a["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0")
        )
        for a in apps
    }
    for app in apps:
        name = app["metadata"]["name"]
        automated = app["spec"].get("syncPolicy", {}).get("automated")
        if env == "dev" and automated != {"prune": True, "selfHeal": True}:
            problems.append(f"{name}: dev sync is not automated with prune and selfHeal")
        if env == "prod" and automated is not None:
            problems.append(f"{name}: prod sync is automated")
        if app["spec"]["project"] != "blog-platform":
            problems.append(f"{name}: not in project blog-platform")
    platform = [w for n, w in waves.items() if n not in APPS and n != f"blog-platform-{env}"]
    for app_name in APPS:
        if app_name not in waves:
            problems.append(f"{app_name}: no Application")
        elif max(platform) >= waves[app_name]:
            problems.append(f"{app_name}: wave {waves[app_name]} is not after the platform's")
    for project in of_kind(objects, "AppProject"):
        if "*" in project["spec"]["sourceRepos"]:
            problems.append("AppProject: any source repository")
        for destination in project["spec"]["destinations"]:
            if "*" in (destination.get("namespace", "*"), destination.get("server", "*")):
                problems.append(f"AppProject: wildcard destination {destination}")
        repos = set(project["spec"]["sourceRepos"])
        for app in apps:
            if app["spec"]["source"]["repoURL"] not in repos:
                problems.append(f"{app['metadata']['name']}: source not allowed by the project")
    return problems


def rbac_problems(objects: list[Manifest]) -> list[str]:
    """The portal reads Applications and VulnerabilityReports and patches Applications only."""
    wanted = {
        ("argocd", "argoproj.io", "applications"): {"get", "list", "watch", "patch"},
        ("blog", "aquasecurity.github.io", "vulnerabilityreports"): {"get", "list", "watch"},
    }
    found: dict[tuple[str, str, str], set[str]] = {}
    problems = [f"{o['kind']}: cluster-wide" for o in objects if o["kind"].startswith("Cluster")]
    for role in of_kind(objects, "Role"):
        for rule in role["rules"]:
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    key = (role["metadata"]["namespace"], group, resource)
                    found[key] = found.get(key, set()) | set(rule["verbs"])
    if found != wanted:
        problems.append(f"portal RBAC is {found}, wanted {wanted}")
    for binding in of_kind(objects, "RoleBinding"):
        subjects = [(s["kind"], s["name"], s.get("namespace")) for s in binding["subjects"]]
        if subjects != [("ServiceAccount", "portal", "blog")]:
            problems.append(f"RoleBinding/{binding['metadata']['name']}: subjects {subjects}")
    return problems
