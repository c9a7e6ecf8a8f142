# dev: an on-demand cluster. The terraform workflow applies it on working-day mornings and
# destroys it every evening (ADR 0009). No NAT gateway: the single spot node sits in a public
# subnet, and its security group admits only the control plane and other nodes.

locals {
  environment = "dev"
  name        = "${var.app}-${local.environment}"
}

module "cluster" {
  source = "../../modules/cluster"

  name               = local.name
  environment        = local.environment
  kubernetes_version = var.kubernetes_version

  vpc_cidr      = "10.10.0.0/16"
  az_count      = 2
  private_nodes = false
  data_subnets  = false

  # One small group: one 8 GiB spot node; max 2 leaves room to scale by hand (no autoscaler).
  # Several types with the same shape give the spot allocator more pools to choose from.
  node_instance_types = ["t3.large", "t3a.large", "m5.large", "m5a.large"]
  node_capacity_type  = "SPOT"
  node_min_size       = 1
  node_desired_size   = 1
  node_max_size       = 2

  endpoint_public_access_cidrs = var.endpoint_public_access_cidrs
  cluster_admin_arns           = var.cluster_admin_arns

  # A cluster that lives ten hours does not need control plane logs or its own KMS key.
  control_plane_log_types = []
  secrets_kms_key         = false

  trivy_reports_bucket = var.trivy_reports_bucket
  secrets_prefix       = "${var.app}/${local.environment}/"
}

module "argocd" {
  source = "../../modules/argocd"

  environment = local.environment
  repo_url    = "https://github.com/${var.github_repository}.git"

  depends_on = [module.cluster]
}
