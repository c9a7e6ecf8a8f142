"""Terraform rules on what gets built: the EKS cluster (Istio's webhook port, closed node
ports, Pod Identity associations, External Secrets' scope), dev's cheap shape, S3 buckets and
the ECR repositories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.infra.terraform_config import Config, Doc, configs, rel


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
