"""Alembic environment of auth_service (see service_kit.migrations)."""

from auth_service.models import auth_registry
from service_kit.migrations import run_environment

run_environment(auth_registry.metadata)
