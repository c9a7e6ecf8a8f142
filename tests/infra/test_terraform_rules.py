"""Offline checks of terraform/: `terraform fmt -check` and the house rules, read with python-hcl2.

Each rule is a function that returns the violations it finds under a terraform root. The real
tree must give none; a copy in tmp_path with one planted mistake must give the expected one, so
no rule can pass by finding nothing.

The reading helpers are in terraform_config.py; the rules, by domain, in terraform_rules_code.py,
terraform_rules_account.py and terraform_rules_resources.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.infra.terraform_config import TERRAFORM
from tests.infra.terraform_rules_account import (
    budget_violations,
    deploy_role_scope_violations,
    oidc_trust_violations,
    root_settings_violations,
)
from tests.infra.terraform_rules_code import (
    credential_violations,
    fmt_violations,
    output_violations,
    undescribed_variables,
    unpinned_modules,
    unpinned_providers,
)
from tests.infra.terraform_rules_resources import (
    bucket_violations,
    cluster_violations,
    dev_shape_violations,
    ecr_violations,
)

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
