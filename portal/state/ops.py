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
LOADING = view.PanelHeader()


class OpsState(SessionState):
    checked: rx.Field[bool] = rx.field(False)
    allowed: rx.Field[bool] = rx.field(False)
    forbidden_reason: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    notice_ok: rx.Field[bool] = rx.field(True)

    scorecard_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    argocd_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    trivy_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    cost_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    health_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    links_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    timeline_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    audit_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)
    # The trivy panel shows two sources: the CI pipeline's answer has a header of its own.
    trivy_ci_panel: rx.Field[view.PanelHeader] = rx.field(default_factory=view.PanelHeader)

    scorecard: rx.Field[list[view.ScoreView]] = rx.field(default_factory=list)
    apps: rx.Field[list[view.AppView]] = rx.field(default_factory=list)
    scans: rx.Field[list[view.ScanView]] = rx.field(default_factory=list)
    scans_by_app: rx.Field[list[view.ScanView]] = rx.field(default_factory=list)
    cost: rx.Field[figures.CostView] = rx.field(default_factory=figures.CostView)
    cost_daily: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    health: rx.Field[list[figures.HealthView]] = rx.field(default_factory=list)
    links: rx.Field[list[figures.LinkView]] = rx.field(default_factory=list)
    timeline: rx.Field[list[view.DeployView]] = rx.field(default_factory=list)
    audit: rx.Field[list[figures.AuditView]] = rx.field(default_factory=list)

    def _forbid(self, reason: str) -> None:
        """No data for someone who may not see it: clear whatever an earlier admin left."""
        self.checked, self.allowed, self.forbidden_reason = True, False, reason
        for name in PANELS:
            setattr(self, f"{name}_panel", view.PanelHeader())
        self.trivy_ci_panel = view.PanelHeader()
        self.scorecard, self.apps, self.scans, self.scans_by_app = [], [], [], []
        self.cost, self.cost_daily, self.health, self.links = figures.CostView(), [], [], []
        self.timeline, self.audit = [], []

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
            self._forbid(refused.reason)
            return None
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
            setattr(self, f"{name}_panel", view.PanelHeader(status="loading"))
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
            setattr(self, f"{name}_panel", view.PanelHeader(status="loading"))
        board = dashboard()
        if name == "trivy":
            operator, ci = await asyncio.gather(
                board.load("trivy-operator", force=force), board.load("trivy-ci", force=force)
            )
            async with self:
                self._show_trivy(operator, ci)
            return
        panel = await board.load(name, force=force)
        async with self:
            setattr(self, f"{name}_panel", view.header(panel))
            self._show(name, panel)

    def _show_trivy(self, operator: Panel[Any], ci: Panel[Any]) -> None:
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
        self.scans, self.scans_by_app = scans, view.per_app(scans)

    def _show(self, name: str, panel: Panel[Any]) -> None:
        data = panel.data
        if name == "argocd":
            self.apps = [view.app_view(a) for a in data or []]
        elif name == "cost":
            self.cost, self.cost_daily = (
                figures.cost_view(data) if data is not None else (figures.CostView(), [])
            )
        elif name == "health":
            self.health = [figures.health_view(h) for h in data or []]
        elif name == "links":
            self.links = [figures.links_view(link) for link in data or []]
        elif name == "audit":
            self.audit = [figures.audit_view(e) for e in data or []]
        elif name == "scorecard":
            self.scorecard = [view.score_view(row) for row in data or []]
        elif name == "timeline":
            self.timeline = [view.deploy_view(d) for d in (data or [])[: view.DEPLOYS_SHOWN]]

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
