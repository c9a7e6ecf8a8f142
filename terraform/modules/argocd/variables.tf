variable "environment" {
  description = "Environment name: the root Application syncs gitops/argocd/<environment>."
  type        = string
}

variable "repo_url" {
  description = "HTTPS URL of the Git repository Argo CD syncs (this repository)."
  type        = string
}

variable "target_revision" {
  description = "Git branch, tag or commit the root Application follows."
  type        = string
  default     = "main"
}

variable "argocd_chart_version" {
  description = "Version of the argo-cd Helm chart (argoproj/argo-helm), pinned."
  type        = string
  default     = "8.6.4"
}

variable "argocd_apps_chart_version" {
  description = "Version of the argocd-apps Helm chart that creates the root Application, pinned."
  type        = string
  default     = "2.0.2"
}
