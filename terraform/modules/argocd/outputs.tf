output "namespace" {
  description = "Namespace Argo CD runs in."
  value       = local.namespace
}

output "root_application_path" {
  description = "Repository path the root Application syncs."
  value       = local.root_path
}
