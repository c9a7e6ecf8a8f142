variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "ap-northeast-2"
}

variable "account_id" {
  description = "The only AWS account id this stack may touch (the provider refuses any other)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "app" {
  description = "Value of the `app` cost-allocation tag, and the prefix of resource names."
  type        = string
  default     = "blog-platform"
}

variable "owner" {
  description = "Value of the `owner` cost-allocation tag."
  type        = string
  default     = "platform-team"
}

variable "github_repository" {
  description = "GitHub repository `<org>/<repo>` Argo CD syncs from (public HTTPS)."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS Kubernetes minor version."
  type        = string
  default     = "1.35"
}

variable "trivy_reports_bucket" {
  description = "The bootstrap stack's trivy_reports_bucket output; the portal reads it."
  type        = string
}

variable "endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the Kubernetes API. GitHub-hosted runners have no fixed addresses, so the default is open and the API relies on IAM authentication; narrow it when the runners are self-hosted."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "cluster_admin_arns" {
  description = "IAM principal ARNs of the people who administer the cluster (EKS access entries)."
  type        = list(string)
  default     = []
}

variable "postgres_engine_version" {
  description = "PostgreSQL major version of the RDS instance."
  type        = string
  default     = "17"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_multi_az" {
  description = "Run RDS with a standby in a second zone (doubles the instance cost, see docs/cost.md)."
  type        = bool
  default     = false
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.micro"
}
