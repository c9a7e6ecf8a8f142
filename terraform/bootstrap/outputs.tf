output "github_deploy_role_arn" {
  description = "Role GitHub Actions on main assume (AWS_DEPLOY_ROLE_ARN): Terraform apply/destroy, image push, Trivy upload."
  value       = aws_iam_role.github_deploy.arn
}

output "github_plan_role_arn" {
  description = "Read-only role pull requests assume (AWS_PLAN_ROLE_ARN) for terraform plan."
  value       = aws_iam_role.github_plan.arn
}

output "ecr_repository_urls" {
  description = "ECR repository URL per service name (blog-platform/<service name>)."
  value       = { for service, repo in aws_ecr_repository.this : service => repo.repository_url }
}

output "trivy_reports_bucket" {
  description = "Bucket for CI Trivy reports, keys trivy/<service name>/<git sha>.json."
  value       = aws_s3_bucket.this["trivy"].id
}

output "state_bucket" {
  description = "Bucket holding every stack's Terraform state (pass as -backend-config=bucket=...)."
  value       = aws_s3_bucket.this["state"].id
}

output "budget_name" {
  description = "Name of the monthly AWS Budget the portal and the alerts watch."
  value       = aws_budgets_budget.this.name
}
