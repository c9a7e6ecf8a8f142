variable "region" {
  description = "AWS region of every resource in this stack."
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
  description = "Value of the `app` cost-allocation tag on every resource."
  type        = string
  default     = "blog-platform"
}

variable "owner" {
  description = "Value of the `owner` cost-allocation tag: the team or person who pays."
  type        = string
  default     = "platform-team"
}

variable "github_repository" {
  description = "The GitHub repository, as `<org>/<repo>`, whose main branch may assume the deploy role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like <org>/<repo>, without wildcards."
  }
}

variable "services" {
  description = "Deployables that get an ECR repository `blog-platform/<service>` and a Trivy report prefix."
  type        = set(string)
  default     = ["auth-service", "blog-service", "portal"]
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget of the whole account, in US dollars."
  type        = number
  default     = 50
}

variable "budget_alert_emails" {
  description = "E-mail addresses told when the forecast passes 50%, 80% and 100% of the budget."
  type        = list(string)
}

variable "trivy_report_retention_days" {
  description = "Days a CI Trivy report is kept in the reports bucket before it expires."
  type        = number
  default     = 90
}

variable "ecr_keep_images" {
  description = "How many tagged images each ECR repository keeps; older ones expire."
  type        = number
  default     = 30
}

variable "activate_cost_allocation_tags" {
  description = "Activate the app, env and owner cost-allocation tags (AWS only accepts tags it has already seen on a billed resource, so a brand-new account may need a second apply a day later)."
  type        = bool
  default     = true
}
