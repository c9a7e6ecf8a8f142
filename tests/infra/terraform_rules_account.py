"""Terraform rules on the AWS account and who may act in it: each root's region, provider
and state backend, the monthly budget, GitHub's OIDC trust and the deploy role's IAM scope."""

from __future__ import annotations

import re
from pathlib import Path

from tests.infra.terraform_config import Config, Doc

ROOTS = ("bootstrap", "environments/dev", "environments/prod")
REGION = "ap-northeast-2"
MAIN_ONLY_SUBJECT = "repo:${var.github_repository}:ref:refs/heads/main"


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
