output "cluster_name" {
  description = "EKS cluster name."
  value       = module.cluster.cluster_name
}

output "vpc_id" {
  description = "VPC id: the AWS Load Balancer Controller's Helm value vpcId (nodes allow one IMDS hop only, so the controller cannot look it up)."
  value       = module.cluster.vpc_id
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for this cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.cluster.cluster_name}"
}

output "portal_role_arn" {
  description = "IAM role of ServiceAccount blog/portal (Pod Identity: Cost Explorer read, Trivy reports read)."
  value       = module.cluster.portal_role_arn
}

output "external_secrets_role_arn" {
  description = "IAM role of ServiceAccount external-secrets/external-secrets (Secrets Manager read under blog-platform/dev/)."
  value       = module.cluster.external_secrets_role_arn
}

output "aws_lb_controller_role_arn" {
  description = "IAM role of ServiceAccount kube-system/aws-load-balancer-controller."
  value       = module.cluster.aws_lb_controller_role_arn
}

output "argocd_root_path" {
  description = "Repository path the Argo CD root Application syncs."
  value       = module.argocd.root_application_path
}
