output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA certificate of the Kubernetes API."
  value       = module.eks.cluster_certificate_authority_data
}

output "node_security_group_id" {
  description = "Security group shared by the nodes (RDS and Redis admit it)."
  value       = module.eks.node_security_group_id
}

output "vpc_id" {
  description = "VPC id."
  value       = module.vpc.vpc_id
}

output "database_subnet_group_name" {
  description = "DB subnet group for RDS (empty unless data_subnets)."
  value       = module.vpc.database_subnet_group_name
}

output "elasticache_subnet_group_name" {
  description = "ElastiCache subnet group (empty unless data_subnets)."
  value       = module.vpc.elasticache_subnet_group_name
}

output "portal_role_arn" {
  description = "IAM role of the portal's ServiceAccount blog/portal (Pod Identity)."
  value       = module.portal_pod_identity.iam_role_arn
}

output "external_secrets_role_arn" {
  description = "IAM role of External Secrets' ServiceAccount (Pod Identity)."
  value       = module.external_secrets_pod_identity.iam_role_arn
}

output "aws_lb_controller_role_arn" {
  description = "IAM role of the AWS Load Balancer Controller's ServiceAccount (Pod Identity)."
  value       = module.aws_lb_controller_pod_identity.iam_role_arn
}
