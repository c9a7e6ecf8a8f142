"""Browser tests: one private stack and one Chromium per session, a fresh context per test.

Every test fails on a console error or an uncaught page error, and leaves a screenshot of
where it ended in tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, async_playwright

from tests.e2e.helpers import Api, OpsPeers, Watched, ops_peers
from tests.e2e.stack import ROOT, E2EStack, e2e_stack

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "tests" / "artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def ops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsPeers]:
    """The /ops sources' real protocol peers (Kubernetes API, moto), loaded with samples."""
    with ops_peers(tmp_path_factory.mktemp("ops-peers")) as peers:
        yield peers


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server_url: str,
    redis_server_url: str,
    ops: OpsPeers,
) -> Iterator[E2EStack]:
    work_dir = tmp_path_factory.mktemp("e2e")
    with e2e_stack(work_dir, postgres_server_url, redis_server_url, ops.env) as s:
        yield s


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium is missing: `apt-get install chromium` (make test installs it as root)"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


async def _watch(browser: Browser, stack: E2EStack, name: str, **context: object) -> Watched:
    ctx = await browser.new_context(base_url=stack.portal_url, **context)  # type: ignore[arg-type]
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} at {message.location.get('url', '')}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    return Watched(page, errors)


@pytest.fixture
async def watched(
    browser: Browser, stack: E2EStack, request: pytest.FixtureRequest
) -> AsyncIterator[Watched]:
    """A fresh browser context (no cookies) with console and network errors collected."""
    w = await _watch(browser, stack, request.node.name)
    yield w
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await w.page.screenshot(path=str(ARTIFACTS / f"{_slug(request.node.name)}.png"), full_page=True)
    await w.page.context.close()
    assert w.errors == [], "the browser reported errors:\n" + "\n".join(w.errors)


@pytest.fixture
async def second(browser: Browser, stack: E2EStack) -> AsyncIterator[Watched]:
    """Another person's browser, for two-user scenarios."""
    w = await _watch(browser, stack, "second")
    yield w
    await w.page.context.close()
    assert w.errors == [], "the second browser reported errors:\n" + "\n".join(w.errors)


@pytest.fixture
def api(stack: E2EStack) -> Api:
    return Api(stack)
