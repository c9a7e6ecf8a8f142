# prod: always on. Nodes in private subnets behind one NAT gateway, RDS PostgreSQL and
# ElastiCache Redis in their own private subnets without any route to the internet.

locals {
  environment = "prod"
  name        = "${var.app}-${local.environment}"
}

module "cluster" {
  source = "../../modules/cluster"

  name               = local.name
  environment        = local.environment
  kubernetes_version = var.kubernetes_version

  vpc_cidr      = "10.20.0.0/16"
  az_count      = 2
  private_nodes = true
  data_subnets  = true

  node_instance_types = ["t3.large", "t3a.large", "m5.large", "m5a.large"]
  node_capacity_type  = "SPOT"
  node_min_size       = 2
  node_desired_size   = 2
  node_max_size       = 4

  endpoint_public_access_cidrs = var.endpoint_public_access_cidrs
  cluster_admin_arns           = var.cluster_admin_arns

  trivy_reports_bucket = var.trivy_reports_bucket
  secrets_prefix       = "${var.app}/${local.environment}/"

  external_secrets_extra_arns = [module.rds.db_instance_master_user_secret_arn]
}

module "argocd" {
  source = "../../modules/argocd"

  environment = local.environment
  repo_url    = "https://github.com/${var.github_repository}.git"

  depends_on = [module.cluster]
}
