terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.61.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "3.1.1"
    }
  }

  # Bucket passed at init: -backend-config="bucket=<state_bucket output of bootstrap>".
  backend "s3" {
    key          = "environments/prod/terraform.tfstate"
    region       = "ap-northeast-2"
    encrypt      = true
    use_lockfile = true
  }
}
