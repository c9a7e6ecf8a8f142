"""/ops in Chromium: an admin sees every panel from the real peers; others are refused, even
through a crafted websocket event; a failing source fails only its panel; Refresh reaches the
Kubernetes API and is audited."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute, expect

from portal.ops.access import NOT_AN_OPERATOR, SIGN_IN
from tests.e2e.helpers import (
    OPS_APPS,
    PASSWORD,
    Api,
    OpsPeers,
    Watched,
    sample_application,
    sign_in,
    unique,
)
from tests.e2e.stack import ROOT, E2EStack, promote
from tests.e2e.test_pages import AXE, _violations

ARTIFACTS = ROOT / "tests" / "artifacts"
PANELS = ("scorecard", "argocd", "trivy", "cost", "health", "links", "timeline", "audit")
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
STATE_PATH = (
    "reflex___state____state.portal___state___session____session_state"
    ".portal___state___ops____ops_state"
)


async def _admin(api: Api, stack: E2EStack) -> dict[str, str]:
    user = await api.register(unique("admin"))
    promote(stack.auth_database_url, user["email"])  # as `make admin EMAIL=...` does
    return user


async def _open_as_admin(page: Page, api: Api, stack: E2EStack) -> dict[str, str]:
    admin = await _admin(api, stack)
    await sign_in(page, admin["email"])  # signed in after the promotion: the token says admin
    await page.click("#nav-ops")  # only admins have the link
    await expect(page.locator("#ops-page")).to_be_visible()
    return admin


async def _settled(page: Page, name: str) -> str:
    panel = page.locator(f"#panel-{name}")
    await expect(panel).not_to_have_attribute("data-status", "loading", timeout=20_000)
    return await panel.get_attribute("data-status") or ""


async def test_ops_as_admin_shows_every_panel_with_data(
    watched: Watched, api: Api, stack: E2EStack, ops: OpsPeers
) -> None:
    page = watched.page
    await _open_as_admin(page, api, stack)
    statuses = {name: await _settled(page, name) for name in PANELS}
    reasons = await page.locator(".panel-reason").all_inner_texts()
    assert statuses == dict.fromkeys(PANELS, "ok"), (statuses, reasons)

    argocd = page.locator("#panel-argocd")
    await expect(argocd.locator(".argocd-app")).to_have_count(2)
    await expect(argocd).to_contain_text("blog-service")
    await expect(argocd).to_contain_text("Synced")
    await expect(page.locator("#refresh-auth-service")).to_be_visible()
    await expect(page.locator("#sync-blog-service")).to_be_visible()

    trivy = page.locator("#panel-trivy")
    # The CI reports from S3 and the operator's report (whose summary counts 27, list has 1).
    await expect(trivy.locator(".trivy-image")).to_have_count(3)
    await expect(trivy).to_contain_text("Gate failed")
    await expect(trivy).to_contain_text("65.5.1")  # setuptools: installed → fixed version

    cost = page.locator("#panel-cost")
    await expect(cost.locator("#cost-mtd")).to_contain_text("$")
    await expect(cost).to_contain_text("linear projection")  # moto has no GetCostForecast
    await expect(cost).to_contain_text("(untagged)")
    await expect(cost.locator(".recharts-bar-rectangle").first).to_be_visible()  # daily cost
    await expect(cost.locator(".recharts-line")).to_have_count(2)  # burn-down: left and ideal

    health = page.locator("#panel-health")
    await expect(health.locator(".health-service")).to_have_count(2)
    await expect(health).to_contain_text("auth-service")

    dashboard = page.locator("#panel-links .link-dashboard").first
    await expect(dashboard).to_have_attribute(
        "href", re.compile(r"^http://grafana\.example\.test/")
    )
    await expect(dashboard).to_have_attribute("target", "_blank")
    await expect(dashboard).to_have_attribute("rel", re.compile("noopener"))
    await expect(page.locator(".demo")).to_have_count(0)  # PORTAL_OPS_DEMO is not set


async def test_ops_as_plain_user_is_forbidden_and_shows_no_data(watched: Watched, api: Api) -> None:
    page = watched.page
    user = await api.register()
    await sign_in(page, user["email"])
    await expect(page.locator("#nav-settings")).to_be_visible()
    await expect(page.locator("#nav-ops")).to_have_count(0)  # no link for non-admins
    await page.goto("/ops")
    await expect(page.locator("#ops-forbidden")).to_be_visible()
    await expect(page.locator("#ops-forbidden-reason")).to_have_text(NOT_AN_OPERATOR)
    await expect(page.locator("#ops-page")).to_have_count(0)
    await expect(page.locator("[id^=panel-]")).to_have_count(0)


async def test_ops_signed_out_is_forbidden_with_a_sign_in_link(watched: Watched) -> None:
    page = watched.page
    await page.goto("/ops")
    await expect(page.locator("#ops-forbidden-reason")).to_have_text(SIGN_IN)
    await expect(page.locator("#ops-sign-in")).to_have_attribute("href", "/login")


async def test_ops_crafted_refresh_event_from_a_plain_user_touches_no_source(
    watched: Watched, api: Api, stack: E2EStack, ops: OpsPeers
) -> None:
    """The page never offers the button; the handler is called anyway, over the websocket."""
    page = watched.page
    crafted: list[str] = []

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            server.send(message)
            text = message if isinstance(message, str) else message.decode()
            namespace, _, body = text.partition(",")
            if namespace == "40/_event" and not crafted:
                # The page's connect packet carries its first event: send a renamed copy as
                # an event packet of the same connection.
                event = json.loads(body)["event"]
                event["name"] = f"{STATE_PATH}.refresh_app"
                event["payload"] = {"app": "blog-service"}
                crafted.append("42/_event," + json.dumps(["event", event]))
                server.send(crafted[-1])

        ws.on_message(from_page)
        server.on_message(ws.send)

    user = await api.register()
    await sign_in(page, user["email"])
    await page.route_web_socket(re.compile(r".*/_event.*"), route)  # the next page's socket
    before = list(ops.kube.requests)
    await page.goto("/ops")
    await expect(page.locator("#ops-forbidden")).to_be_visible()
    await asyncio.sleep(2)  # time for the crafted event to be handled
    assert crafted, "the page sent no /ops load event to copy"
    # The handler did run (and refused): once for the page's load, once for the crafted event.
    log = (stack.work_dir / "portal.log").read_text()
    refusals = [line for line in log.splitlines() if "ops_refused" in line]
    assert len([line for line in refusals if f"user={user['username']}" in line]) == 2
    assert ops.kube.requests == before  # not even a read
    application = ops.kube.get("argoproj.io/v1alpha1", "Application", "argocd", "blog-service")
    assert application is not None
    assert (application["metadata"].get("annotations") or {}).get(REFRESH_ANNOTATION) is None


async def test_ops_with_the_kube_api_failing_keeps_other_panels_and_says_why(
    watched: Watched, api: Api, stack: E2EStack, ops: OpsPeers
) -> None:
    page = watched.page
    await _open_as_admin(page, api, stack)
    assert await _settled(page, "argocd") == "ok"  # a good answer first: kept as stale
    ops.kube.fail_status = 500
    try:
        await page.reload()
        await expect(page.locator("#ops-page")).to_be_visible()
        # Until the new load has begun, the page may still show the previous visit's
        # statuses: the failing panel is the sign that it has.
        await expect(page.locator("#panel-argocd")).to_have_attribute(
            "data-status", "failed", timeout=20_000
        )
        statuses = {name: await _settled(page, name) for name in PANELS}
        argocd = page.locator("#panel-argocd")
        await expect(argocd.locator(".panel-reason")).to_contain_text("500")
        await expect(argocd.locator(".panel-stale")).to_contain_text("stale since")
        await expect(argocd.locator(".argocd-app")).to_have_count(2)  # the last good answer
        # trivy-operator reads the same API: its part says why and shows its last answer.
        trivy = page.locator("#panel-trivy")
        await expect(trivy.locator(".panel-reason").first).to_contain_text("trivy-operator")
        await expect(trivy.locator(".panel-stale")).to_contain_text("trivy-operator: stale since")
        await expect(trivy.locator(".trivy-image")).to_have_count(3)
    finally:
        ops.kube.fail_status = None
    assert statuses == {**dict.fromkeys(PANELS, "ok"), "argocd": "failed"}, statuses


async def test_ops_shows_ten_apps_first_and_all_on_request(
    watched: Watched, api: Api, stack: E2EStack, ops: OpsPeers
) -> None:
    extra = [f"extra-{n:02d}" for n in range(11)]  # 13 apps with the two samples
    for name in extra:
        ops.kube.add(sample_application(OPS_APPS["auth-service"], name))
    try:
        page = watched.page
        await _open_as_admin(page, api, stack)
        assert await _settled(page, "argocd") == "ok"
        argocd = page.locator("#panel-argocd")
        await expect(argocd.locator(".argocd-app")).to_have_count(10)
        show_all = page.locator("#argocd-show-all")
        await expect(show_all).to_have_text("Show all 13 apps")
        await show_all.click()
        await expect(argocd.locator(".argocd-app")).to_have_count(13)
        await expect(show_all).to_have_count(0)
    finally:
        for name in extra:
            ops.kube.remove("argoproj.io/v1alpha1", "Application", "argocd", name)


async def test_ops_refresh_sets_the_annotation_and_is_audited(
    watched: Watched, api: Api, stack: E2EStack, ops: OpsPeers
) -> None:
    page = watched.page
    admin = await _open_as_admin(page, api, stack)
    await _settled(page, "argocd")
    await page.click("#refresh-auth-service")
    await expect(page.locator("#ops-notice")).to_contain_text("Refresh of auth-service requested.")
    application = ops.kube.get("argoproj.io/v1alpha1", "Application", "argocd", "auth-service")
    assert application is not None
    assert application["metadata"]["annotations"][REFRESH_ANNOTATION] == "normal"
    newest = page.locator("#panel-audit .audit-entry").first
    await expect(newest.locator(".audit-who")).to_have_text(admin["username"])
    await expect(newest).to_contain_text("refresh argocd/auth-service")
    await expect(newest).to_contain_text("requested")


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_ops_passes_axe_and_fits_a_phone(
    browser: Browser, api: Api, stack: E2EStack, ops: OpsPeers, scheme: str
) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci in the repository root)")
    admin = await _admin(api, stack)
    errors: list[str] = []
    for size, viewport in {"desktop": (1280, 800), "phone": (390, 844)}.items():
        context = await browser.new_context(
            base_url=stack.portal_url,
            viewport={"width": viewport[0], "height": viewport[1]},
            color_scheme=scheme,  # type: ignore[arg-type]
            bypass_csp=True,  # axe is injected as a script the policy would (rightly) refuse
        )
        page = await context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await page.goto("/login")
        await page.fill("#signin-email", admin["email"])
        await page.fill("#signin-password", PASSWORD)
        await page.click("#signin-submit")
        await expect(page.locator("#nav-profile")).to_be_visible()
        await page.goto("/ops")
        await expect(page.locator("#ops-page")).to_be_visible()
        for name in PANELS:
            await _settled(page, name)
        await page.wait_for_timeout(300)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"page-ops-{size}-{scheme}.png"
        await page.screenshot(path=str(shot), full_page=True)
        violations = await _violations(page, AXE.read_text())
        assert violations == [], json.dumps(violations, indent=1)[:3000]
        wide = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not wide, f"/ops scrolls sideways at {size} width"
        await context.close()
    assert errors == []


async def test_ops_sync_asks_first_then_sets_the_operation_and_is_audited(
    watched: Watched, api: Api, stack: E2EStack, ops: OpsPeers
) -> None:
    page = watched.page
    admin = await _open_as_admin(page, api, stack)
    await _settled(page, "argocd")
    await page.click("#sync-blog-service")
    await page.get_by_role("button", name="Cancel").click()  # the confirmation: nothing yet
    application = ops.kube.get("argoproj.io/v1alpha1", "Application", "argocd", "blog-service")
    assert application is not None and "operation" not in application
    await page.click("#sync-blog-service")
    await page.click("#confirm-sync-blog-service")
    await expect(page.locator("#ops-notice")).to_contain_text("Sync of blog-service requested.")
    application = ops.kube.get("argoproj.io/v1alpha1", "Application", "argocd", "blog-service")
    assert application is not None
    assert application["operation"]["initiatedBy"]["username"] == admin["username"]
    newest = page.locator("#panel-audit .audit-entry").first
    await expect(newest.locator(".audit-who")).to_have_text(admin["username"])
    await expect(newest).to_contain_text("sync argocd/blog-service")
