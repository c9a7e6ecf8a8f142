"""The portal's clients against the real services (started once for this folder)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Services, services_stack


@pytest.fixture(scope="session")
def services(
    tmp_path_factory: pytest.TempPathFactory, postgres_server_url: str, redis_server_url: str
) -> Iterator[Services]:
    with services_stack(
        tmp_path_factory.mktemp("portal-services"), postgres_server_url, redis_server_url
    ) as running:
        yield running
