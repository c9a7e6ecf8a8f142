# One environment's platform: a VPC, an EKS cluster with one managed node group, the EKS add-ons,
# the security-group rules Istio needs and the Pod Identity roles of the portal, External Secrets
# and the AWS Load Balancer Controller. Everything here is composed from terraform-aws-modules;
# the only plain resources are the two IAM policies the registry modules cannot know.

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first az_count zone names are used and a new zone sorts after the existing ones, so the slice does not change; the subnets are fixed once created.
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # /20s for nodes and pods (the VPC CNI gives every pod a VPC address), /24s for data.
  public_subnets      = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 4, i)]
  private_subnets     = var.private_nodes ? [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 4, i + 4)] : []
  database_subnets    = var.data_subnets ? [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 8, i + 128)] : []
  elasticache_subnets = var.data_subnets ? [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 8, i + 136)] : []

  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  region      = data.aws_region.current.region
  trivy_arn   = "arn:${local.partition}:s3:::${var.trivy_reports_bucket}"
  secrets_arn = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${var.secrets_prefix}*"
}

module "vpc" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned to an exact version; the registry protocol has no commit hashes.
  source  = "terraform-aws-modules/vpc/aws"
  version = "6.6.1"

  name = var.name
  cidr = var.vpc_cidr
  azs  = local.azs

  public_subnets      = local.public_subnets
  private_subnets     = local.private_subnets
  database_subnets    = local.database_subnets
  elasticache_subnets = local.elasticache_subnets

  # Prod: one NAT gateway for the private node subnets. Dev: none at all; the nodes sit in the
  # public subnets with public addresses (ADR 0009 and docs/cost.md explain the trade).
  enable_nat_gateway      = var.private_nodes
  single_nat_gateway      = true
  map_public_ip_on_launch = !var.private_nodes

  enable_dns_hostnames = true
  enable_dns_support   = true

  # The default security group denies everything; nothing may use it by accident.
  manage_default_security_group  = true
  default_security_group_ingress = []
  default_security_group_egress  = []

  public_subnet_tags = {
    "kubernetes.io/role/elb" = "1"
  }
  private_subnet_tags = {
    "kubernetes.io/role/internal-elb" = "1"
  }

  tags = var.tags
}

module "eks" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned to an exact version; the registry protocol has no commit hashes.
  source  = "terraform-aws-modules/eks/aws"
  version = "21.25.1"

  name               = var.name
  kubernetes_version = var.kubernetes_version

  # The API is public (GitHub-hosted runners run the apply) but only for the listed CIDRs; nodes
  # talk to it through the private endpoint.
  endpoint_public_access       = true
  endpoint_public_access_cidrs = var.endpoint_public_access_cidrs
  endpoint_private_access      = true

  # The identity that creates the cluster (the GitHub deploy role) administers it; people get
  # access entries below.
  enable_cluster_creator_admin_permissions = true
  access_entries = {
    for index, arn in var.cluster_admin_arns : "admin-${index}" => {
      principal_arn = arn
      policy_associations = {
        admin = {
          policy_arn   = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
          access_scope = { type = "cluster" }
        }
      }
    }
  }

  # Secrets are always envelope-encrypted; with secrets_kms_key the module creates a customer
  # key (prod), without it EKS uses its AWS-owned key (dev: a cluster rebuilt every day would
  # otherwise leave a key pending deletion every day).
  create_kms_key    = var.secrets_kms_key
  encryption_config = var.secrets_kms_key ? {} : null

  # Pod Identity instead of IRSA: no per-cluster OIDC provider.
  enable_irsa = false

  enabled_log_types                      = var.control_plane_log_types
  create_cloudwatch_log_group            = length(var.control_plane_log_types) > 0
  cloudwatch_log_group_retention_in_days = var.control_plane_log_retention_days

  addons = {
    coredns    = {}
    kube-proxy = {}
    vpc-cni = {
      before_compute = true
    }
    eks-pod-identity-agent = {
      before_compute = true
    }
  }

  vpc_id                   = module.vpc.vpc_id
  subnet_ids               = var.private_nodes ? module.vpc.private_subnets : module.vpc.public_subnets
  control_plane_subnet_ids = var.private_nodes ? module.vpc.private_subnets : module.vpc.public_subnets

  eks_managed_node_groups = {
    default = {
      ami_type       = "AL2023_x86_64_STANDARD"
      instance_types = var.node_instance_types
      capacity_type  = var.node_capacity_type

      min_size     = var.node_min_size
      max_size     = var.node_max_size
      desired_size = var.node_desired_size

      iam_role_name            = "${var.name}-nodes"
      iam_role_use_name_prefix = true

      block_device_mappings = {
        root = {
          device_name = "/dev/xvda"
          ebs = {
            volume_size           = var.node_disk_size_gb
            volume_type           = "gp3"
            encrypted             = true
            delete_on_termination = true
          }
        }
      }

      labels = {
        "blog-platform/capacity" = lower(var.node_capacity_type)
      }
    }
  }

  # The node group's shared security group only admits the control plane and other nodes (the
  # module's recommended rules). Istio adds: the API server calls istiod's injection and
  # validation webhooks on 15017, and sidecars talk to each other and to istiod (15012 xDS,
  # 15006/15001 capture, 15021 health, 15090 metrics, the apps' own ports) on any node.
  node_security_group_additional_rules = {
    ingress_istio_webhook = {
      description                   = "API server to istiod webhooks"
      protocol                      = "tcp"
      from_port                     = 15017
      to_port                       = 15017
      type                          = "ingress"
      source_cluster_security_group = true
    }
    ingress_self_all = {
      description = "Node to node, all ports: Istio sidecars, istiod xDS 15012, app ports"
      protocol    = "-1"
      from_port   = 0
      to_port     = 0
      type        = "ingress"
      self        = true
    }
  }

  tags = var.tags
}

# --- Pod Identity: the portal (ServiceAccount blog/portal) -------------------------------------

data "aws_iam_policy_document" "portal" {
  #checkov:skip=CKV_AWS_356:Cost Explorer has no resource-level permissions, so ce:Get* needs "*"; the S3 statements are scoped to the trivy/ prefix.
  statement {
    sid       = "CostExplorerRead"
    actions   = ["ce:Get*"]
    resources = ["*"] # Cost Explorer has no resource-level permissions.
  }

  statement {
    sid       = "TrivyReportsList"
    actions   = ["s3:ListBucket"]
    resources = [local.trivy_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["trivy/*"]
    }
  }

  statement {
    sid       = "TrivyReportsRead"
    actions   = ["s3:GetObject"]
    resources = ["${local.trivy_arn}/trivy/*"]
  }
}

resource "aws_iam_policy" "portal" {
  name        = "${var.name}-portal"
  description = "Portal: Cost Explorer read, Trivy reports read"
  policy      = data.aws_iam_policy_document.portal.json
}

module "portal_pod_identity" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned to an exact version; the registry protocol has no commit hashes.
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "2.6.0"

  name = "${var.name}-portal"

  additional_policy_arns = {
    portal = aws_iam_policy.portal.arn
  }

  associations = {
    portal = {
      cluster_name    = module.eks.cluster_name
      namespace       = "blog"
      service_account = "portal"
    }
  }

  tags = var.tags
}

# --- Pod Identity: External Secrets (ServiceAccount external-secrets/external-secrets) ---------

data "aws_iam_policy_document" "external_secrets" {
  statement {
    sid = "ReadEnvironmentSecrets"
    actions = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetResourcePolicy",
      "secretsmanager:GetSecretValue",
      "secretsmanager:ListSecretVersionIds",
    ]
    resources = concat([local.secrets_arn], var.external_secrets_extra_arns)
  }
}

resource "aws_iam_policy" "external_secrets" {
  name        = "${var.name}-external-secrets"
  description = "External Secrets: read Secrets Manager secrets under ${var.secrets_prefix}"
  policy      = data.aws_iam_policy_document.external_secrets.json
}

module "external_secrets_pod_identity" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned to an exact version; the registry protocol has no commit hashes.
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "2.6.0"

  name = "${var.name}-external-secrets"

  additional_policy_arns = {
    secrets = aws_iam_policy.external_secrets.arn
  }

  associations = {
    external-secrets = {
      cluster_name    = module.eks.cluster_name
      namespace       = "external-secrets"
      service_account = "external-secrets"
    }
  }

  tags = var.tags
}

# --- Pod Identity: AWS Load Balancer Controller (kube-system/aws-load-balancer-controller) ------

module "aws_lb_controller_pod_identity" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned to an exact version; the registry protocol has no commit hashes.
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "2.6.0"

  name = "${var.name}-aws-lbc"

  attach_aws_lb_controller_policy = true
  # Named like every other policy here, so the deploy role's IAM permissions cover it.
  aws_lb_controller_policy_name = "${var.name}-aws-lbc"

  associations = {
    aws-load-balancer-controller = {
      cluster_name    = module.eks.cluster_name
      namespace       = "kube-system"
      service_account = "aws-load-balancer-controller"
    }
  }

  tags = var.tags
}
