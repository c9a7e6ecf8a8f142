"""The Istio layer (gitops/platform/istio) in every environment: the VirtualService follows
devstack.routes.ROUTES exactly and points at Services and ports that exist; mTLS is STRICT;
tokens are checked against the issuer the services use; the AuthorizationPolicies deny by
default, want a token for writes and keep /internal for blog_service; timeouts and retries
live in the VirtualService, pools and outlier detection in the DestinationRules. Each check
fails on a planted mistake."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devstack.routes import DEFAULT_UPSTREAM, ROUTES

REPO_ROOT = Path(__file__).resolve().parents[2]
GITOPS = REPO_ROOT / "gitops"
ENVIRONMENTS = ("local", "dev", "prod")
APPS = ("auth-service", "blog-service", "portal")
NAMESPACE = "blog"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# The writes that obtain or end a session and so carry no access token.
SESSION_WRITES = {"/api/users", "/api/users/login", "/api/auth/refresh", "/api/auth/logout"}
BLOG_SERVICE_PRINCIPAL = "cluster.local/ns/blog/sa/blog-service"
Manifest = dict[str, Any]
KustomizeBuild = Callable[[Path], list[Manifest]]


def of_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
    return [obj for obj in objects if obj["kind"] == kind]


def short_host(host: str) -> str:
    suffix = f".{NAMESPACE}.svc.cluster.local"
    return host.removesuffix(suffix) if host.endswith(suffix) else host


# --- the checks -------------------------------------------------------------------------


def route_table(mesh: list[Manifest]) -> list[tuple[str | None, str]]:
    """(prefix, upstream) per VirtualService route, in order; None for the catch-all."""
    (service,) = of_kind(mesh, "VirtualService")
    table = []
    for route in service["spec"]["http"]:
        matches = route.get("match", [])
        prefixes = [m["uri"]["prefix"] for m in matches if "prefix" in m.get("uri", {})]
        if len(prefixes) != len(matches) or len(prefixes) > 1:
            raise AssertionError(f"route {route.get('name')}: only one uri prefix per route")
        (destination,) = route["route"]
        table.append(
            (prefixes[0] if prefixes else None, short_host(destination["destination"]["host"]))
        )
    return table


def route_table_problems(mesh: list[Manifest]) -> list[str]:
    expected = [(r.prefix, r.upstream) for r in ROUTES] + [(None, DEFAULT_UPSTREAM)]
    table = route_table(mesh)
    return [] if table == expected else [f"VirtualService routes {table} != {expected}"]


def destination_problems(mesh: list[Manifest], apps: list[Manifest]) -> list[str]:
    """Every route goes to a Service and port that the apps' build defines."""
    ports = {
        (svc["metadata"]["name"], port["port"])
        for svc in of_kind(apps, "Service")
        if svc["metadata"]["namespace"] == NAMESPACE
        for port in svc["spec"]["ports"]
    }
    problems = []
    for service in of_kind(mesh, "VirtualService"):
        for route in service["spec"]["http"]:
            for target in route["route"]:
                destination = target["destination"]
                key = (short_host(destination["host"]), destination.get("port", {}).get("number"))
                if key not in ports:
                    problems.append(f"route {route.get('name')}: no Service port {key}")
    return problems


def traffic_problems(mesh: list[Manifest]) -> list[str]:
    """Timeouts and retries on every route; a pool and outlier detection for every upstream;
    no retry or timeout hidden in a DestinationRule."""
    problems = []
    (service,) = of_kind(mesh, "VirtualService")
    for route in service["spec"]["http"]:
        for field in ("timeout", "retries"):
            if field not in route:
                problems.append(f"route {route.get('name')}: no {field}")
    rules = {short_host(r["spec"]["host"]): r["spec"] for r in of_kind(mesh, "DestinationRule")}
    for app in APPS:
        policy = rules.get(app, {}).get("trafficPolicy", {})
        for field in ("connectionPool", "outlierDetection"):
            if field not in policy:
                problems.append(f"DestinationRule {app}: no {field}")
        if policy.get("tls", {}).get("mode") != "ISTIO_MUTUAL":
            problems.append(f"DestinationRule {app}: not ISTIO_MUTUAL")
        unexpected = set(policy) - {"tls", "connectionPool", "outlierDetection", "loadBalancer"}
        if unexpected:
            problems.append(f"DestinationRule {app}: {sorted(unexpected)} belong elsewhere")
    return problems


def mtls_problems(mesh: list[Manifest]) -> list[str]:
    namespace_wide = [
        p
        for p in of_kind(mesh, "PeerAuthentication")
        if p["metadata"]["namespace"] == NAMESPACE and "selector" not in p["spec"]
    ]
    modes = [p["spec"].get("mtls", {}).get("mode") for p in namespace_wide]
    problems = [] if modes == ["STRICT"] else [f"namespace mTLS modes {modes}, not STRICT"]
    for policy in of_kind(mesh, "PeerAuthentication"):
        if policy["spec"].get("portLevelMtls"):
            problems.append(f"PeerAuthentication/{policy['metadata']['name']}: port exceptions")
    return problems


def token_problems(mesh: list[Manifest], apps: list[Manifest]) -> list[str]:
    """RequestAuthentication trusts exactly the issuer the services are configured with."""
    issuers = {
        cm["data"]["JWT_ISSUER"] for cm in of_kind(apps, "ConfigMap") if "JWT_ISSUER" in cm["data"]
    }
    problems = []
    (request_auth,) = of_kind(mesh, "RequestAuthentication")
    (rule,) = request_auth["spec"]["jwtRules"]
    if {rule["issuer"]} != issuers:
        problems.append(f"issuer {rule['issuer']} is not the services' {sorted(issuers)}")
    if not rule.get("jwksUri", "").endswith("/.well-known/jwks.json"):
        problems.append(f"jwksUri {rule.get('jwksUri')} is not a JWKS")
    if rule.get("audiences") != ["blog-platform"]:
        problems.append(f"audiences {rule.get('audiences')}")
    prefixes = {
        h.get("prefix") for h in rule.get("fromHeaders", []) if h["name"] == "Authorization"
    }
    if prefixes != {"Token ", "Bearer "}:
        problems.append(f"Authorization prefixes {prefixes}")
    if rule.get("forwardOriginalToken") is not True:
        problems.append("the token is not forwarded to the services")
    return problems


def selected_apps(policy: Manifest) -> set[str]:
    selector = policy["spec"].get("selector")
    if selector is None:
        return set(APPS)
    apps = {selector.get("matchLabels", {}).get("app")} - {None}
    for expression in selector.get("matchExpressions", []):
        if expression["key"] == "app" and expression["operator"] == "In":
            apps |= set(expression["values"])
    return {str(app) for app in apps}


def authorization_problems(mesh: list[Manifest]) -> list[str]:
    policies = of_kind(mesh, "AuthorizationPolicy")
    problems = []
    if not any(p["spec"] == {} for p in policies):
        problems.append("no deny-by-default policy (an ALLOW policy with an empty spec)")
    for policy in policies:
        name = policy["metadata"]["name"]
        if policy["spec"].get("action", "ALLOW") != "ALLOW":
            continue
        for rule in policy["spec"].get("rules", []):
            sources = [f["source"] for f in rule.get("from", [])]
            for operation in (t["operation"] for t in rule.get("to", [])):
                methods = set(operation.get("methods", WRITES))
                paths = set(operation.get("paths", ["*"]))
                if not methods & WRITES:
                    continue
                tokened = sources and all(s.get("requestPrincipals") for s in sources)
                session = selected_apps(policy) == {"auth-service"} and paths <= SESSION_WRITES
                internal = all(p.startswith("/internal/") for p in paths) and all(
                    s.get("principals") == [BLOG_SERVICE_PRINCIPAL] for s in sources
                )
                portal = selected_apps(policy) == {"portal"}
                if not (tokened or session or internal or portal):
                    problems.append(f"{name}: allows {sorted(methods & WRITES)} without a token")
                if internal and selected_apps(policy) != {"auth-service"}:
                    problems.append(f"{name}: /internal allowed beyond auth-service")
    denies = [
        p
        for p in policies
        if p["spec"].get("action") == "DENY" and selected_apps(p) == {"auth-service"}
    ]
    guarded = any(
        "/internal/*" in op["operation"].get("paths", [])
        and all(f["source"].get("notPrincipals") == [BLOG_SERVICE_PRINCIPAL] for f in r["from"])
        for p in denies
        for r in p["spec"]["rules"]
        for op in r.get("to", [])
    )
    if not guarded:
        problems.append("no DENY keeps auth-service /internal/* for blog-service alone")
    return problems


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mesh(kustomize_build: KustomizeBuild) -> dict[str, list[Manifest]]:
    return {env: kustomize_build(GITOPS / "platform/istio/overlays" / env) for env in ENVIRONMENTS}


@pytest.fixture(scope="module")
def apps(kustomize_build: KustomizeBuild) -> dict[str, list[Manifest]]:
    return {
        env: [
            obj for app in APPS for obj in kustomize_build(GITOPS / "apps" / app / "overlays" / env)
        ]
        for env in ENVIRONMENTS
    }


def broken_mesh(
    tmp_path: Path, kustomize_build: KustomizeBuild, file: str, old: str, new: str
) -> list[Manifest]:
    gitops = tmp_path / "gitops"
    shutil.copytree(GITOPS / "platform/istio", gitops / "platform/istio")
    path = gitops / "platform/istio/base" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return kustomize_build(gitops / "platform/istio/overlays/prod")


# --- the mesh holds ---------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_virtualservice_equals_the_devstack_route_table(env: str, mesh: dict[str, Any]) -> None:
    assert route_table_problems(mesh[env]) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_route_reaches_an_existing_service_port(
    env: str, mesh: dict[str, Any], apps: dict[str, Any]
) -> None:
    assert destination_problems(mesh[env], apps[env]) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_timeouts_retries_pools_and_outlier_detection(env: str, mesh: dict[str, Any]) -> None:
    assert traffic_problems(mesh[env]) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_namespace_mtls_is_strict(env: str, mesh: dict[str, Any]) -> None:
    assert mtls_problems(mesh[env]) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_tokens_are_checked_against_the_services_issuer(
    env: str, mesh: dict[str, Any], apps: dict[str, Any]
) -> None:
    assert token_problems(mesh[env], apps[env]) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_authorization_denies_by_default_and_guards_writes_and_internal(
    env: str, mesh: dict[str, Any]
) -> None:
    assert authorization_problems(mesh[env]) == []


# --- each check fails on a planted mistake ----------------------------------------------


def test_route_table_check_finds_a_changed_prefix(
    tmp_path: Path, kustomize_build: KustomizeBuild
) -> None:
    built = broken_mesh(
        tmp_path,
        kustomize_build,
        "virtualservice.yaml",
        "prefix: /api/users\n",
        "prefix: /api/userz\n",
    )
    assert route_table_problems(built) != []


def test_destination_check_finds_a_wrong_port(
    tmp_path: Path, kustomize_build: KustomizeBuild, apps: dict[str, Any]
) -> None:
    built = broken_mesh(
        tmp_path, kustomize_build, "virtualservice.yaml", "number: 3000", "number: 8000"
    )
    assert destination_problems(built, apps["prod"]) == [
        "route portal: no Service port ('portal', 8000)"
    ]


def test_traffic_check_finds_a_route_without_timeout(
    tmp_path: Path, kustomize_build: KustomizeBuild
) -> None:
    built = broken_mesh(tmp_path, kustomize_build, "virtualservice.yaml", "      timeout: 5s\n", "")
    assert traffic_problems(built) == ["route api-users: no timeout"]


def test_mtls_check_finds_permissive(tmp_path: Path, kustomize_build: KustomizeBuild) -> None:
    built = broken_mesh(
        tmp_path, kustomize_build, "peerauthentication.yaml", "STRICT", "PERMISSIVE"
    )
    assert mtls_problems(built) == ["namespace mTLS modes ['PERMISSIVE'], not STRICT"]


def test_token_check_finds_another_issuer(mesh: dict[str, Any], apps: dict[str, Any]) -> None:
    built = mesh["dev"]
    of_kind(built, "RequestAuthentication")[0]["spec"]["jwtRules"][0]["issuer"] = (
        "https://evil.example"
    )
    assert len(token_problems(built, apps["dev"])) == 1


def test_authorization_check_finds_writes_without_a_token(
    tmp_path: Path, kustomize_build: KustomizeBuild
) -> None:
    built = broken_mesh(
        tmp_path,
        kustomize_build,
        "authorizationpolicies.yaml",
        '            requestPrincipals: ["*"]\n',
        "",
    )
    assert authorization_problems(built) == [
        "api-writes-need-token: allows ['DELETE', 'PATCH', 'POST', 'PUT'] without a token"
    ]


def test_authorization_check_finds_internal_open_to_all(
    tmp_path: Path, kustomize_build: KustomizeBuild
) -> None:
    built = broken_mesh(
        tmp_path,
        kustomize_build,
        "authorizationpolicies.yaml",
        "  action: DENY\n",
        "  action: AUDIT\n",
    )
    assert authorization_problems(built) == [
        "no DENY keeps auth-service /internal/* for blog-service alone"
    ]
