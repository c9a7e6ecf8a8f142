terraform {
  # 1.11 is the first release with native S3 state locking (use_lockfile) out of experiment.
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.61.0"
    }
  }

  # Partial configuration: the bucket name holds the account id, so it is passed at init time
  # (`-backend-config="bucket=blog-platform-tfstate-<account id>"`). The very first apply runs
  # with local state through a `local_override.tf` file; terraform/README.md has the steps.
  backend "s3" {
    key          = "bootstrap/terraform.tfstate"
    region       = "ap-northeast-2"
    encrypt      = true
    use_lockfile = true
  }
}
