"""Alembic environment of blog_service (see service_kit.migrations)."""

from blog_service.models import blog_registry
from service_kit.migrations import run_environment

run_environment(blog_registry.metadata)
