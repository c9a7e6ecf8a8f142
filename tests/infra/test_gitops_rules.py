"""The house rules of gitops/ (issue 6, STYLE.md 19-20, PLATFORM.md), read from the built
overlays: hardened containers with resources and probes, no plaintext Secret, the platform's
labels, image tags only through Kustomize `images:`, an HPA everywhere and a PDB in prod,
migrations as a PreSync hook, known settings names, Argo CD sync policies and waves, and the
portal's least-privilege RBAC. Each rule is shown to fail on a planted mistake.

The helpers are in gitops_tree.py and the rules in gitops_rules_pods.py (workloads) and
gitops_rules_platform.py (secrets, labels, Kustomize, Argo CD, RBAC)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.gitops_rules_platform import (
    argocd_problems,
    kustomization_problems,
    label_problems,
    rbac_problems,
    secret_problems,
)
from tests.infra.gitops_rules_pods import (
    hardening_problems,
    image_problems,
    migration_problems,
    probe_problems,
    scaling_problems,
    settings_problems,
)
from tests.infra.gitops_tree import (
    APPS,
    ENVIRONMENTS,
    GITOPS,
    SERVICES,
    copy_gitops,
    overlay,
    pod_specs,
)
from tests.infra.manifests import KustomizeBuild, Manifest, of_kind

PLACEHOLDER_REPO = "https://github.com/example-org/blog-platform.git"


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
