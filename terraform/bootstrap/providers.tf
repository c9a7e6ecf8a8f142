provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      app   = var.app
      env   = "shared"
      owner = var.owner
    }
  }
}
