# RDS PostgreSQL and ElastiCache Redis for the services (auth and blog databases on one
# instance, as in the local stack). Both are encrypted at rest, reachable only from the
# nodes' security group, and never public. RDS keeps its master password in Secrets Manager
# (managed by RDS, rotated), so no password is in code or in the Terraform state.

resource "aws_security_group" "rds" {
  #checkov:skip=CKV2_AWS_5:Attached to the RDS instance through the rds module's vpc_security_group_ids, which checkov cannot see offline.
  name        = "${local.name}-rds"
  description = "PostgreSQL from the EKS nodes only"
  vpc_id      = module.cluster.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "rds_from_nodes" {
  security_group_id            = aws_security_group.rds.id
  description                  = "PostgreSQL from the EKS nodes"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = module.cluster.node_security_group_id
}

module "rds" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned to an exact version; the registry protocol has no commit hashes.
  source  = "terraform-aws-modules/rds/aws"
  version = "7.2.0"

  identifier = "${local.name}-postgres"

  engine               = "postgres"
  engine_version       = var.postgres_engine_version
  family               = "postgres${var.postgres_engine_version}"
  major_engine_version = var.postgres_engine_version
  instance_class       = var.db_instance_class

  allocated_storage     = 20
  max_allocated_storage = 100
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name                     = "blog"
  username                    = "blog_admin"
  port                        = 5432
  manage_master_user_password = true

  multi_az               = var.db_multi_az
  create_db_subnet_group = false
  db_subnet_group_name   = module.cluster.database_subnet_group_name
  vpc_security_group_ids = [aws_security_group.rds.id]
  publicly_accessible    = false

  iam_database_authentication_enabled = true
  backup_retention_period             = 7
  deletion_protection                 = true
  skip_final_snapshot                 = false
  final_snapshot_identifier_prefix    = "${local.name}-final"
  copy_tags_to_snapshot               = true
  auto_minor_version_upgrade          = true

  create_db_option_group = false
  parameters = [
    {
      name  = "rds.force_ssl"
      value = "1"
    },
  ]
}

module "elasticache" {
  #checkov:skip=CKV_TF_1:Registry modules are pinned to an exact version; the registry protocol has no commit hashes.
  source  = "terraform-aws-modules/elasticache/aws"
  version = "1.11.1"

  replication_group_id = "${local.name}-redis"
  description          = "Redis for auth_service and blog_service"

  engine             = "redis"
  engine_version     = "7.1"
  node_type          = var.redis_node_type
  num_cache_clusters = 1

  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  apply_immediately          = false
  maintenance_window         = "sun:18:00-sun:19:00"
  snapshot_retention_limit   = 1

  vpc_id = module.cluster.vpc_id
  security_group_rules = {
    ingress_nodes = {
      description                  = "Redis from the EKS nodes"
      referenced_security_group_id = module.cluster.node_security_group_id
    }
  }

  create_subnet_group = false
  subnet_group_name   = module.cluster.elasticache_subnet_group_name

  create_parameter_group = true
  parameter_group_family = "redis7"
  parameters = [
    {
      name  = "maxmemory-policy"
      value = "allkeys-lru"
    },
  ]
}
