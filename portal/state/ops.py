"""The /ops page: the admin check on every event, one background event per panel, the actions.

Every handler that loads or changes ops data first verifies the access token's role on the
server (`admin_claims`); a non-admin gets `allowed=False` and no data, and a handler sent by
a crafted websocket message returns before touching any source. Panels load in separate
background events, so a slow source delays only its own panel.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx
import structlog

from portal.clients import ApiError
from portal.components.ops import figures, view
from portal.ops.access import NotAllowed, admin_claims
from portal.ops.dashboard import PANELS, dashboard
from portal.ops.panel import Panel, SourceError
from portal.state.session import SessionState

log = structlog.get_logger("portal.ops")


class OpsState(SessionState):
    """The role check, the page's load and the admin actions; each panel's data lives in a
    substate of its own (below), so an update of one panel re-renders only that panel."""

    checked: rx.Field[bool] = rx.field(False)
    allowed: rx.Field[bool] = rx.field(False)
    forbidden_reason: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    notice_ok: rx.Field[bool] = rx.field(True)

    async def _panel(self, name: str) -> Any:
        return await self.get_state(PANEL_STATES[name])

    async def _forbid(self, reason: str) -> None:
        """No data for someone who may not see it: clear whatever an earlier admin left."""
        self.checked, self.allowed, self.forbidden_reason = True, False, reason
        for name in PANELS:
            (await self._panel(name)).reset()

    async def _admin(self) -> str | None:
        """The admin's username after a server-side role check, else None (state updated).

        Call inside `async with self` in background events (it may refresh the session).
        """
        session = await self.get_state(SessionState)
        try:
            token = await session.token()
        except ApiError:
            token = None
        try:
            await admin_claims(token)
        except NotAllowed as refused:
            log.info("ops_refused", user=session.username, reason=refused.reason)
            await self._forbid(refused.reason)
            return None
        # Assigned only on a change: an assignment is an update sent to the browser, and
        # every component that reads this state would render again.
        if not (self.checked and self.allowed and not self.forbidden_reason):
            self.checked, self.allowed, self.forbidden_reason = True, True, ""
        return session.username

    @rx.event
    async def load(self) -> Any:
        """The page's on-load: check the role, then start one background load per panel."""
        if await self._admin() is None:
            return None
        # Every panel says "loading" in the same update, so what a reload shows until its
        # panel answers is never the previous visit's status.
        for name in PANELS:
            setattr(await self._panel(name), f"{name}_panel", view.PanelHeader(status="loading"))
        # mypy reads a background handler as an EventCallback it cannot call; Reflex can.
        return [OpsState.load_panel(name) for name in PANELS]  # type: ignore[misc]

    @rx.event(background=True)
    async def load_panel(self, name: str) -> None:
        await self._load(name, force=False)

    @rx.event(background=True)
    async def reload(self, name: str) -> None:
        await self._load(name, force=True)

    async def _load(self, name: str, *, force: bool) -> None:
        if name not in PANELS:
            return
        async with self:
            if await self._admin() is None:
                return
            setattr(await self._panel(name), f"{name}_panel", view.PanelHeader(status="loading"))
        board = dashboard()
        if name == "trivy":
            operator, ci = await asyncio.gather(
                board.load("trivy-operator", force=force), board.load("trivy-ci", force=force)
            )
            async with self:
                (await self.get_state(TrivyState))._show_both(operator, ci)
            return
        panel = await board.load(name, force=force)
        async with self:
            shown = await self._panel(name)
            setattr(shown, f"{name}_panel", view.header(panel))
            shown._show(panel)

    @rx.event(background=True)
    async def refresh_app(self, app: str) -> None:
        await self._act("refresh", app)

    @rx.event(background=True)
    async def sync_app(self, app: str) -> None:
        await self._act("sync", app)

    async def _act(self, action: str, app: str) -> None:
        async with self:
            actor = await self._admin()
            if actor is None:
                return
            self.notice, self.notice_ok = f"{action.capitalize()} of {app} requested…", True
        board = dashboard()
        try:
            if action == "sync":
                await board.sync_app(app, actor=actor)
            else:
                await board.refresh_app(app, actor=actor)
            notice, ok = f"{action.capitalize()} of {app} requested.", True
        except SourceError as exc:
            notice, ok = f"{action.capitalize()} of {app} failed: {exc.reason}", False
        except Exception as exc:
            log.exception("ops_action_failed", action=action, app=app)
            notice, ok = f"{action.capitalize()} of {app} failed: {type(exc).__name__}", False
        async with self:
            self.notice, self.notice_ok = notice, ok
        for name in ("argocd", "audit", "timeline", "scorecard"):
            await self._load(name, force=name != "scorecard")

    @rx.event
    def dismiss(self) -> None:
        self.notice = ""


# One substate per panel: the browser re-renders the components that read a state when
# that state changes, so a panel's answer must not touch the other panels' state.


class ScorecardState(OpsState):
    scorecard_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    scorecard: rx.Field[list[view.ScoreView]] = rx.field(default_factory=list)

    def _show(self, panel: Panel[Any]) -> None:
        self.scorecard = [view.score_view(row) for row in panel.data or []]


class ArgoCdState(OpsState):
    argocd_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    apps: rx.Field[list[view.AppView]] = rx.field(default_factory=list)  # the ones shown
    apps_total: rx.Field[int] = rx.field(0)
    all_apps_shown: rx.Field[bool] = rx.field(False)
    # Every app, kept on the server until "Show all".
    _every_app: rx.Field[list[view.AppView]] = rx.field(default_factory=list)

    def _show(self, panel: Panel[Any]) -> None:
        self._every_app = view.attention_first([view.app_view(a) for a in panel.data or []])
        self._shown()

    def _shown(self) -> None:
        every = self._every_app
        self.apps_total = len(every)
        self.apps = every if self.all_apps_shown else every[: view.APPS_SHOWN]

    @rx.event
    async def show_all_apps(self) -> None:
        if await self._admin() is None:
            return
        self.all_apps_shown = True
        self._shown()


class TrivyState(OpsState):
    trivy_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    # The trivy panel shows two sources: the CI pipeline's answer has a header of its own.
    trivy_ci_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    scans: rx.Field[list[view.ScanView]] = rx.field(default_factory=list)  # the ones shown
    scans_total: rx.Field[int] = rx.field(0)
    all_scans_shown: rx.Field[bool] = rx.field(False)
    scans_by_app: rx.Field[list[view.ScanView]] = rx.field(default_factory=list)
    # Every image, kept on the server until "Show all".
    _every_scan: rx.Field[list[view.ScanView]] = rx.field(default_factory=list)

    def _show_both(self, operator: Panel[Any], ci: Panel[Any]) -> None:
        self.trivy_panel, self.trivy_ci_panel = view.header(operator), view.header(ci)
        if not operator.ok and ci.ok:
            # The panel's status is the better of its two sources; the other's reason stays.
            stale = self.trivy_panel.stale
            self.trivy_panel = view.PanelHeader(
                status="ok",
                reason=f"trivy-operator: {operator.reason}",
                stale=f"trivy-operator: {stale}" if stale else self.trivy_ci_panel.stale,
                fetched=self.trivy_ci_panel.fetched,
                demo=ci.demo,
            )
        scans = [view.scan_view(s) for s in [*(operator.data or []), *(ci.data or [])]]
        self._every_scan, self.scans_by_app = view.worst_first(scans), view.per_app(scans)
        self._shown()

    def _shown(self) -> None:
        every = self._every_scan
        self.scans_total = len(every)
        self.scans = every if self.all_scans_shown else every[: view.IMAGES_SHOWN]

    @rx.event
    async def show_all_scans(self) -> None:
        if await self._admin() is None:
            return
        self.all_scans_shown = True
        self._shown()


class CostState(OpsState):
    cost_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    cost: rx.Field[figures.CostView] = rx.field(default_factory=figures.CostView)
    cost_daily: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)

    def _show(self, panel: Panel[Any]) -> None:
        data = panel.data
        self.cost, self.cost_daily = (
            figures.cost_view(data) if data is not None else (figures.CostView(), [])
        )


class HealthState(OpsState):
    health_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    health: rx.Field[list[figures.HealthView]] = rx.field(default_factory=list)

    def _show(self, panel: Panel[Any]) -> None:
        self.health = [figures.health_view(h) for h in panel.data or []]


class LinksState(OpsState):
    links_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    links: rx.Field[list[figures.LinkView]] = rx.field(default_factory=list)

    def _show(self, panel: Panel[Any]) -> None:
        self.links = [figures.links_view(link) for link in panel.data or []]


class TimelineState(OpsState):
    timeline_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    timeline: rx.Field[list[view.DeployView]] = rx.field(default_factory=list)

    def _show(self, panel: Panel[Any]) -> None:
        self.timeline = [view.deploy_view(d) for d in (panel.data or [])[: view.DEPLOYS_SHOWN]]


class AuditState(OpsState):
    audit_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    audit: rx.Field[list[figures.AuditView]] = rx.field(default_factory=list)

    def _show(self, panel: Panel[Any]) -> None:
        self.audit = [figures.audit_view(e) for e in panel.data or []]


PANEL_STATES: dict[str, type[OpsState]] = {
    "scorecard": ScorecardState,
    "argocd": ArgoCdState,
    "trivy": TrivyState,
    "cost": CostState,
    "health": HealthState,
    "links": LinksState,
    "timeline": TimelineState,
    "audit": AuditState,
}
