# GitHub Actions reach AWS through OIDC, never through stored keys. Two roles:
# - deploy: trusted only for this repository's main branch (pushes, schedules and manual runs
#   on main); applies and destroys the environments, pushes images and Trivy reports.
# - plan: trusted only for pull requests of this repository; read-only, so a pull request can
#   run `terraform plan -lock=false` but change nothing.

locals {
  github_oidc_host     = "token.actions.githubusercontent.com"
  deploy_subject       = "repo:${var.github_repository}:ref:refs/heads/main"
  plan_subject         = "repo:${var.github_repository}:pull_request"
  environment_prefixes = ["${var.app}-dev-", "${var.app}-prod-"]
}

resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "deploy_trust" {
  statement {
    sid     = "GitHubMainBranchOnly"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = [local.deploy_subject]
    }
  }
}

data "aws_iam_policy_document" "plan_trust" {
  statement {
    sid     = "GitHubPullRequestsOnly"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = [local.plan_subject]
    }
  }
}

resource "aws_iam_role" "github_deploy" {
  name                 = "${var.app}-github-deploy"
  description          = "GitHub Actions on ${var.github_repository} main: Terraform apply/destroy, image push, Trivy reports"
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust.json
  max_session_duration = 7200
}

resource "aws_iam_role" "github_plan" {
  name                 = "${var.app}-github-plan"
  description          = "GitHub Actions pull requests on ${var.github_repository}: read-only terraform plan"
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600
}

# Everything but IAM, Organizations and account settings...
resource "aws_iam_role_policy_attachment" "deploy_power_user" {
  role       = aws_iam_role.github_deploy.name
  policy_arn = "arn:aws:iam::aws:policy/PowerUserAccess"
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.github_plan.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

# ...plus IAM limited to the roles and policies the environments create (names start with
# blog-platform-dev- or blog-platform-prod-), so the deploy role cannot edit itself or the
# bootstrap roles.
data "aws_iam_policy_document" "deploy_iam" {
  statement {
    sid = "ManageEnvironmentRolesAndPolicies"
    actions = [
      "iam:AttachRolePolicy",
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:CreateRole",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:PassRole",
      "iam:PutRolePolicy",
      "iam:TagPolicy",
      "iam:TagRole",
      "iam:UntagPolicy",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = flatten([
      for prefix in local.environment_prefixes : [
        "arn:aws:iam::${var.account_id}:role/${prefix}*",
        "arn:aws:iam::${var.account_id}:policy/${prefix}*",
      ]
    ])
  }

  statement {
    sid = "ReadIam"
    actions = [
      "iam:GetInstanceProfile",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListPolicyVersions",
      "iam:ListRolePolicies",
    ]
    resources = flatten([
      for prefix in local.environment_prefixes : [
        "arn:aws:iam::${var.account_id}:role/${prefix}*",
        "arn:aws:iam::${var.account_id}:policy/${prefix}*",
        "arn:aws:iam::${var.account_id}:instance-profile/*",
      ]
    ])
  }

  statement {
    sid     = "ServiceLinkedRolesForEksSpotAndElb"
    actions = ["iam:CreateServiceLinkedRole"]
    #checkov:skip=CKV_AWS_356:Service-linked role ARNs are known only per service; the condition below limits the services.
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "eks.amazonaws.com",
        "eks-nodegroup.amazonaws.com",
        "spot.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "autoscaling.amazonaws.com",
        "rds.amazonaws.com",
        "elasticache.amazonaws.com",
      ]
    }
  }
}

resource "aws_iam_role_policy" "deploy_iam" {
  name   = "environment-iam"
  role   = aws_iam_role.github_deploy.id
  policy = data.aws_iam_policy_document.deploy_iam.json
}
