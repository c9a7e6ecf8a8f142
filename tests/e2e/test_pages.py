"""Every main page: no serious accessibility violation (axe-core), fits a phone, works in dark
mode; screenshots at desktop and phone width go to tests/artifacts/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.helpers import PASSWORD, Api
from tests.e2e.stack import ROOT, E2EStack

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci in the repository root)")
    return AXE.read_text()


async def _violations(page: Page, axe_source: str) -> list[dict[str, object]]:
    await page.evaluate(axe_source)
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_main_pages_pass_axe_fit_a_phone_and_are_screenshotted(
    browser: Browser, stack: E2EStack, api: Api, axe_source: str, scheme: str
) -> None:
    author = await api.register()
    article = await api.article(author["token"], title="Screenshot article", tagList=["shots"])
    signed_out = {
        "home": "/",
        "article": f"/article/{article['slug']}",
        "sign-in": "/login",
        "sign-up": "/register",
        "search": "/search?q=article",
    }
    signed_in = {
        "editor": "/editor",
        "settings": "/settings",
        "drafts": "/drafts",
        "profile": f"/profile/{author['username']}",
    }
    problems: list[str] = []
    errors: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size_name, viewport in SIZES.items():
        # bypass_csp: axe is injected as a script the policy would (rightly) refuse.
        context = await browser.new_context(
            base_url=stack.portal_url,
            viewport=viewport,  # type: ignore[arg-type]
            color_scheme=scheme,  # type: ignore[arg-type]
            bypass_csp=True,
        )
        page = await context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pages = list(signed_out.items()) + list(signed_in.items())
        for index, (name, path) in enumerate(pages):
            if index == len(signed_out):
                await page.goto("/login")
                await page.fill("#signin-email", author["email"])
                await page.fill("#signin-password", PASSWORD)
                await page.click("#signin-submit")
                await expect(page.locator("#nav-profile")).to_be_visible()
            await page.goto(path)
            await expect(page.locator("main h1, main h2").first).to_be_visible()
            await page.wait_for_load_state("networkidle")
            await page.wait_for_timeout(300)
            await page.screenshot(path=str(ARTIFACTS / f"page-{name}-{size_name}-{scheme}.png"))
            wide = await page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            if wide > 0:
                problems.append(f"{path} at {size_name}: {wide}px wider than the screen")
            if size_name == "desktop":
                for violation in await _violations(page, axe_source):
                    nodes = [n["target"] for n in violation["nodes"]]  # type: ignore[attr-defined]
                    problems.append(f"{path}: {violation['id']} {violation['impact']} {nodes}")
        await context.close()
    problems += [f"console error: {e}" for e in errors]
    assert problems == [], json.dumps(problems, indent=1)


def test_axe_is_the_pinned_npm_package() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/axe-core"]["version"] == "4.14.1"
    assert Path(AXE).exists()
