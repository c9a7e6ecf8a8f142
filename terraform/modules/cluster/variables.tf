variable "name" {
  description = "Cluster and VPC name, also the prefix of every IAM role created here (blog-platform-<env>)."
  type        = string
}

variable "environment" {
  description = "Environment name (dev or prod): the Argo CD path, the Secrets Manager prefix and the env tag."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes minor version (<major>.<minor>)."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC; subnets are carved from it."
  type        = string
}

variable "az_count" {
  description = "Number of availability zones the subnets span (EKS needs at least two)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "private_nodes" {
  description = "true: nodes in private subnets behind one NAT gateway (prod). false: no NAT gateway, nodes in public subnets with public IPs, reachable only through their security group (dev)."
  type        = bool
}

variable "data_subnets" {
  description = "Create database and ElastiCache subnets (private, no route to the internet) for RDS and Redis."
  type        = bool
  default     = false
}

variable "node_instance_types" {
  description = "Instance types of the single managed node group, all with the same memory so the scheduler sees one shape."
  type        = list(string)
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT for the managed node group."
  type        = string
  default     = "SPOT"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_min_size" {
  description = "Smallest size of the node group."
  type        = number
}

variable "node_max_size" {
  description = "Largest size of the node group."
  type        = number
}

variable "node_desired_size" {
  description = "Size of the node group when it is created (EKS ignores later changes to it)."
  type        = number
}

variable "node_disk_size_gb" {
  description = "Root volume size of each node, in GiB (gp3)."
  type        = number
  default     = 20
}

variable "endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the public Kubernetes API endpoint (GitHub runners and operators)."
  type        = list(string)
}

variable "cluster_admin_arns" {
  description = "IAM principal ARNs (people, break-glass roles) given cluster admin through EKS access entries."
  type        = list(string)
  default     = []
}

variable "control_plane_log_types" {
  description = "EKS control plane log types sent to CloudWatch; an empty list sends none."
  type        = list(string)
  default     = ["api", "audit", "authenticator"]
}

variable "control_plane_log_retention_days" {
  description = "Days CloudWatch keeps control plane logs."
  type        = number
  default     = 30
}

variable "secrets_kms_key" {
  description = "Envelope-encrypt Kubernetes secrets with a customer KMS key the module creates (otherwise the AWS-owned key EKS uses by default)."
  type        = bool
  default     = true
}

variable "trivy_reports_bucket" {
  description = "Name of the bootstrap stack's Trivy reports bucket, which the portal reads (prefix trivy/)."
  type        = string
}

variable "secrets_prefix" {
  description = "Secrets Manager name prefix External Secrets may read, for example blog-platform/dev/."
  type        = string

  validation {
    condition     = endswith(var.secrets_prefix, "/") && !strcontains(var.secrets_prefix, "*")
    error_message = "secrets_prefix must end with / and contain no wildcard."
  }
}

variable "external_secrets_extra_arns" {
  description = "Exact ARNs of further secrets External Secrets may read (the RDS-managed master secret, whose name RDS chooses)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags for the resources of this module (the provider's default_tags already add app, env, owner)."
  type        = map(string)
  default     = {}
}
