"""The house rules of gitops/ (issue 6, STYLE.md 19-20, PLATFORM.md), read from the built
overlays: hardened containers with resources and probes, no plaintext Secret, the platform's
labels, image tags only through Kustomize `images:`, an HPA everywhere and a PDB in prod,
migrations as a PreSync hook, known settings names, Argo CD sync policies and waves, and the
portal's least-privilege RBAC. Each rule is shown to fail on a planted mistake."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from auth_service.config import AuthSettings
from blog_service.config import BlogSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
GITOPS = REPO_ROOT / "gitops"
APPS = ("auth-service", "blog-service", "portal")
SERVICES = ("auth-service", "blog-service")
ENVIRONMENTS = ("local", "dev", "prod")
PLACEHOLDER_REPO = "https://github.com/example-org/blog-platform.git"
Manifest = dict[str, Any]
KustomizeBuild = Callable[[Path], list[Manifest]]
WORKLOADS = {"Deployment", "StatefulSet", "Job", "DaemonSet"}
TMP = "/tmp"  # noqa: S108 - the path the read-only containers must get as an emptyDir


def overlay(app: str, env: str) -> Path:
    return GITOPS / "apps" / app / "overlays" / env


def of_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
    return [obj for obj in objects if obj["kind"] == kind]


def pod_specs(objects: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    for obj in objects:
        if obj["kind"] in WORKLOADS:
            yield f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]["spec"]


def copy_gitops(tmp_path: Path) -> Path:
    target = tmp_path / "gitops"
    shutil.copytree(GITOPS, target, ignore=shutil.ignore_patterns("observability"))
    return target


# --- the rules --------------------------------------------------------------------------


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


def setting_names(app: str) -> set[str]:
    """The environment variables an app reads (its pydantic-settings class, PLATFORM.md)."""
    if app == "portal":
        shared = {"ENVIRONMENT", "LOG_LEVEL", "AWS_REGION"}
        return shared | {"PORTAL_AUTH_URL", "PORTAL_BLOG_URL", "PORTAL_API_TIMEOUT_SECONDS"}
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


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apps(kustomize_build: KustomizeBuild) -> dict[tuple[str, str], list[Manifest]]:
    return {(app, env): kustomize_build(overlay(app, env)) for app in APPS for env in ENVIRONMENTS}


@pytest.fixture(scope="module")
def bases(kustomize_build: KustomizeBuild) -> dict[str, list[Manifest]]:
    return {app: kustomize_build(GITOPS / "apps" / app / "base") for app in APPS}


@pytest.fixture(scope="module")
def argocd(kustomize_build: KustomizeBuild) -> dict[str, list[Manifest]]:
    return {env: kustomize_build(GITOPS / "argocd" / env) for env in ("dev", "prod")}


CASES = [(app, env) for app in APPS for env in ENVIRONMENTS]


# --- the rules hold ---------------------------------------------------------------------


@pytest.mark.parametrize(("app", "env"), CASES)
def test_every_container_is_hardened(
    app: str, env: str, apps: dict[tuple[str, str], list[Manifest]]
) -> None:
    assert hardening_problems(apps[app, env]) == []


def test_local_data_services_are_hardened(kustomize_build: KustomizeBuild) -> None:
    assert hardening_problems(kustomize_build(GITOPS / "platform/data/local")) == []


@pytest.mark.parametrize(("app", "env"), CASES)
def test_app_is_probed_on_healthz_and_readyz(
    app: str, env: str, apps: dict[tuple[str, str], list[Manifest]]
) -> None:
    assert probe_problems(apps[app, env], app) == []


def test_no_plaintext_secret_anywhere(apps: dict[tuple[str, str], list[Manifest]]) -> None:
    built = [obj for objects in apps.values() for obj in objects]
    assert secret_problems(GITOPS, built) == []


@pytest.mark.parametrize(("app", "env"), CASES)
def test_every_object_has_the_platform_labels(
    app: str, env: str, apps: dict[tuple[str, str], list[Manifest]]
) -> None:
    assert label_problems(apps[app, env], app) == []


@pytest.mark.parametrize(("app", "env"), CASES)
def test_image_tag_is_set_only_by_the_overlay(
    app: str, env: str, apps: dict[tuple[str, str], list[Manifest]], bases: dict[str, Any]
) -> None:
    assert image_problems(apps[app, env], app, bases[app]) == []


def test_kustomizations_use_patches_and_images() -> None:
    assert kustomization_problems(GITOPS) == []


@pytest.mark.parametrize(("app", "env"), CASES)
def test_hpa_scales_every_app_and_prod_has_a_pdb(
    app: str, env: str, apps: dict[tuple[str, str], list[Manifest]]
) -> None:
    assert scaling_problems(apps[app, env], app, env) == []


@pytest.mark.parametrize(("app", "env"), [c for c in CASES if c[0] in SERVICES])
def test_migrations_run_as_a_presync_hook(
    app: str, env: str, apps: dict[tuple[str, str], list[Manifest]]
) -> None:
    assert migration_problems(apps[app, env], app) == []


@pytest.mark.parametrize(("app", "env"), CASES)
def test_configmaps_hold_only_known_settings(
    app: str, env: str, apps: dict[tuple[str, str], list[Manifest]]
) -> None:
    assert settings_problems(apps[app, env], app) == []


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_argocd_sync_policy_waves_and_project(env: str, argocd: dict[str, Any]) -> None:
    assert argocd_problems(argocd[env], env) == []


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_repository_url_is_written_once_per_environment(env: str) -> None:
    sources = [GITOPS / "argocd" / "project", GITOPS / "argocd" / env]
    count = sum(
        path.read_text().count(PLACEHOLDER_REPO) for folder in sources for path in folder.iterdir()
    )
    assert count == 1


def test_portal_rbac_is_least_privilege(apps: dict[tuple[str, str], list[Manifest]]) -> None:
    rbac = [o for o in apps["portal", "prod"] if "rbac.authorization.k8s.io" in o["apiVersion"]]
    assert rbac_problems(rbac) == []


def test_only_the_portal_mounts_a_service_account_token(
    apps: dict[tuple[str, str], list[Manifest]],
) -> None:
    mounting = {
        (app, name)
        for (app, _), objects in apps.items()
        for name, pod in pod_specs(objects)
        if pod.get("automountServiceAccountToken") is not False
    }
    assert mounting == {("portal", "Deployment/portal")}


# --- each rule fails on a planted mistake -----------------------------------------------


def test_hardening_check_finds_a_writable_root_and_a_missing_limit(
    tmp_path: Path, kustomize_build: KustomizeBuild
) -> None:
    gitops = copy_gitops(tmp_path)
    deployment = gitops / "apps/auth-service/base/deployment.yaml"
    text = deployment.read_text().replace(
        "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"
    )
    deployment.write_text(text.replace('              cpu: "1"\n', "", 1))
    problems = hardening_problems(kustomize_build(gitops / "apps/auth-service/overlays/prod"))
    assert "Deployment/auth-service/auth-service: readOnlyRootFilesystem is not true" in problems
    assert "Deployment/auth-service/auth-service: no limits.cpu" in problems


def test_probe_check_finds_a_liveness_probe_on_readyz(
    apps: dict[tuple[str, str], list[Manifest]],
) -> None:
    objects = apps["blog-service", "dev"]
    deployment = of_kind(objects, "Deployment")[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["path"] = (
        "/readyz"
    )
    assert probe_problems(objects, "blog-service") != []


def test_secret_check_finds_a_secret_file(tmp_path: Path) -> None:
    gitops = copy_gitops(tmp_path)
    (gitops / "apps/auth-service/base/leak.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak\nstringData:\n  k: v\n"
    )
    assert secret_problems(gitops, []) == ["apps/auth-service/base/leak.yaml: a Secret in git"]


def test_label_check_finds_a_missing_app_label(
    apps: dict[tuple[str, str], list[Manifest]],
) -> None:
    objects = apps["portal", "local"]
    del of_kind(objects, "Service")[0]["metadata"]["labels"]["app"]
    assert label_problems(objects, "portal") == ["Service/portal: missing labels {'app': 'portal'}"]


def test_image_check_finds_a_tag_in_the_base_and_latest_in_an_overlay(
    apps: dict[tuple[str, str], list[Manifest]], bases: dict[str, list[Manifest]]
) -> None:
    base, objects = bases["portal"], apps["portal", "dev"]
    of_kind(base, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["image"] += ":1"
    container = of_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    container["image"] = container["image"].rsplit(":", 1)[0] + ":latest"
    problems = image_problems(objects, "portal", base)
    assert any("the tag is not for the base" in p for p in problems)
    assert any("has no fixed tag" in p for p in problems)


def test_kustomization_check_finds_patches_strategic_merge_and_no_images(tmp_path: Path) -> None:
    gitops = copy_gitops(tmp_path)
    kustomization = gitops / "apps/blog-service/overlays/dev/kustomization.yaml"
    doc = yaml.safe_load(kustomization.read_text())
    doc["patchesStrategicMerge"] = doc.pop("patches")
    del doc["images"]
    kustomization.write_text(yaml.safe_dump(doc))
    assert sorted(kustomization_problems(gitops)) == [
        "apps/blog-service/overlays/dev/kustomization.yaml: deprecated patch field",
        "apps/blog-service/overlays/dev/kustomization.yaml: no images: entry for "
        "blog-platform/blog-service",
    ]


def test_scaling_check_finds_replicas_and_a_missing_pdb(
    apps: dict[tuple[str, str], list[Manifest]],
) -> None:
    objects = [o for o in apps["auth-service", "prod"] if o["kind"] != "PodDisruptionBudget"]
    of_kind(objects, "Deployment")[0]["spec"]["replicas"] = 3
    assert len(scaling_problems(objects, "auth-service", "prod")) == 2


def test_migration_check_finds_a_job_without_the_hook(
    apps: dict[tuple[str, str], list[Manifest]],
) -> None:
    objects = apps["blog-service", "prod"]
    del of_kind(objects, "Job")[0]["metadata"]["annotations"]["argocd.argoproj.io/hook"]
    assert migration_problems(objects, "blog-service") == ["blog-service: no PreSync migration Job"]


def test_settings_check_finds_a_misspelt_setting(
    apps: dict[tuple[str, str], list[Manifest]],
) -> None:
    objects = apps["blog-service", "dev"]
    of_kind(objects, "ConfigMap")[0]["data"]["BLOG_AUTH_ULR"] = "http://x"
    assert settings_problems(objects, "blog-service") == [
        "blog-service-config: BLOG_AUTH_ULR is not a setting of blog-service"
    ]


def test_argocd_check_finds_automated_prod_and_an_app_before_the_platform(
    tmp_path: Path, kustomize_build: KustomizeBuild
) -> None:
    gitops = copy_gitops(tmp_path)
    services = gitops / "argocd/prod/services.yaml"
    docs = [d for d in yaml.safe_load_all(services.read_text()) if d]
    docs[0]["spec"]["syncPolicy"]["automated"] = {"prune": True}
    docs[1]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = "-5"
    services.write_text(yaml.safe_dump_all(docs))
    problems = argocd_problems(kustomize_build(gitops / "argocd/prod"), "prod")
    assert "auth-service: prod sync is automated" in problems
    assert "blog-service: wave -5 is not after the platform's" in problems


def test_rbac_check_finds_a_delete_verb_and_a_cluster_role(
    apps: dict[tuple[str, str], list[Manifest]],
) -> None:
    rbac = [o for o in apps["portal", "dev"] if "rbac.authorization.k8s.io" in o["apiVersion"]]
    of_kind(rbac, "Role")[0]["rules"][0]["verbs"].append("delete")
    rbac.append({"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1"})
    assert len(rbac_problems(rbac)) == 2
