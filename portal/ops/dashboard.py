"""The dashboard's wiring: one PanelSpec per source from `OpsSettings`, and the derived panels.

One :class:`Dashboard` per process (:func:`dashboard`): it holds the panel cache, the audit
log and the adapters that keep state between calls (the /metrics reader's last sample). The
adapters are imported when first used, so a portal without an optional SDK still starts.
Derived panels (timeline, scorecard, links) join the other panels' answers, stale ones
included; an input panel that has no data at all is passed as None.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from portal.ops.audit import AuditEntry, AuditLog
from portal.ops.cache import PanelCache
from portal.ops.loader import PanelSpec, load_panel
from portal.ops.panel import (
    NotConfigured,
    Panel,
    PanelStatus,
    SourceError,
    SourceFailed,
    Unauthorised,
    Unreachable,
)
from portal.ops.settings import SERVICES, OpsSettings

__all__ = ["BASE_SOURCES", "PANELS", "Dashboard", "dashboard", "reset_dashboard"]

# The page's panels (DOM ids panel-<name>); "trivy" shows two sources side by side.
PANELS = ("scorecard", "argocd", "trivy", "cost", "health", "links", "timeline", "audit")
# Sources with an upstream of their own.
BASE_SOURCES = ("argocd", "trivy-operator", "trivy-ci", "cost", "health", "audit")
AUDIT_LIMIT = 20
COST_TIMEOUT_SECONDS = 10.0
# The panels each derived panel joins (their data, stale included; None when they have none).
DERIVED_INPUTS = {
    "links": ("argocd",),
    "timeline": ("argocd",),
    "scorecard": ("argocd", "trivy-operator", "trivy-ci", "cost", "health"),
}
# A derived panel that cannot run without an input says so with the input's status.
_ERRORS: dict[PanelStatus, type[SourceError]] = {
    PanelStatus.NOT_CONFIGURED: NotConfigured,
    PanelStatus.UNAUTHORISED: Unauthorised,
    PanelStatus.UNREACHABLE: Unreachable,
}


def _missing(source: str, exc: ImportError) -> SourceFailed:
    return SourceFailed(f"The {source} adapter is not part of this portal build ({exc.name}).")


class Dashboard:
    def __init__(self, settings: OpsSettings) -> None:
        self.settings = settings
        self.cache = PanelCache(settings.redis_url)
        self.audit = AuditLog(settings.redis_url)
        self._adapters: dict[str, Any] = {}

    # -- the adapters, made once --------------------------------------------------------
    def _adapter(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._adapters:
            self._adapters[name] = make()
        return self._adapters[name]

    def argocd(self) -> Any:
        def make() -> Any:
            from portal.ops.argocd.ledger import ImageLedger
            from portal.ops.argocd.source import ArgoCDSource

            ledger = ImageLedger(self.settings.redis_url)
            return ArgoCDSource(self.settings, ledger=ledger, audit=self.audit)

        return self._adapter("argocd", make)

    def _operator_scans(self) -> Any:
        def make() -> Any:
            from portal.ops.trivy.operator import OperatorScans

            return OperatorScans(self.settings)

        return self._adapter("trivy-operator", make)

    def ci_scans(self) -> Any:
        def make() -> Any:
            from portal.ops.trivy.s3 import CiScans

            return CiScans(self.settings)

        return self._adapter("trivy-ci", make)

    def _cost(self) -> Any:
        def make() -> Any:
            from portal.ops.cost.explorer import CostExplorer

            return CostExplorer(self.settings)

        return self._adapter("cost", make)

    def _health(self) -> Any:
        def make() -> Any:
            from portal.ops.health.source import ServiceHealthSource

            return ServiceHealthSource(self.settings)

        return self._adapter("health", make)

    # -- specs ------------------------------------------------------------------------
    def spec(self, source: str) -> PanelSpec:
        """The PanelSpec of a base source (raises KeyError for an unknown name)."""
        fresh = self.settings.cache_seconds
        if source == "audit":
            return PanelSpec(source, self._recent_audit, list[AuditEntry], 0.0)
        if source == "argocd":
            from portal.ops.argocd.models import AppStatus

            return PanelSpec(source, self._call(source, "applications"), list[AppStatus], fresh)
        if source in ("trivy-operator", "trivy-ci"):
            from portal.ops.trivy.models import ImageScan

            method = "scans" if source == "trivy-operator" else "latest"
            return PanelSpec(source, self._call(source, method), list[ImageScan], fresh)
        if source == "cost":
            from portal.ops.cost.models import CostReport

            cost_fresh = self.settings.cost_cache_seconds
            # Three Cost Explorer calls in a row (about 1 s each), then cached for hours.
            patient = max(self.settings.timeout_seconds, COST_TIMEOUT_SECONDS)
            return PanelSpec(source, self._call(source, "report"), CostReport, cost_fresh, patient)
        if source == "health":
            from portal.ops.health.models import ServiceHealth

            return PanelSpec(source, self._call(source, "health"), list[ServiceHealth], fresh)
        raise KeyError(source)

    def _call(self, source: str, method: str) -> Callable[[], Awaitable[Any]]:
        makers: dict[str, Callable[[], Any]] = {
            "argocd": self.argocd,
            "trivy-operator": self._operator_scans,
            "trivy-ci": self.ci_scans,
            "cost": self._cost,
            "health": self._health,
        }

        async def fetch() -> Any:
            try:
                adapter = makers[source]()
            except ImportError as exc:
                raise _missing(source, exc) from exc
            return await getattr(adapter, method)()

        return fetch

    async def _recent_audit(self) -> list[AuditEntry]:
        return await self.audit.recent(limit=AUDIT_LIMIT)

    # -- loading ----------------------------------------------------------------------
    async def load(self, source: str, *, force: bool = False) -> Panel[Any]:
        """The panel of any source, base or derived; never raises."""
        if source in DERIVED_INPUTS:
            # Inputs first, each within its own deadline and all at once; the join itself
            # then runs within the derived panel's deadline. Recomputed on every load; the
            # cache keeps its last good answer for "stale".
            names = DERIVED_INPUTS[source]
            panels = await asyncio.gather(*(self.load(name) for name in names))
            inputs = dict(zip(names, panels, strict=True))
            joins = {"links": self._links, "timeline": self._timeline, "scorecard": self._scorecard}

            async def join() -> Any:
                return await joins[source](inputs)

            spec = PanelSpec(source, join, _derived_type(source), 0.0)
        else:
            spec = self.spec(source)
        return await load_panel(
            spec,
            self.cache,
            timeout=self.settings.timeout_seconds,
            demo=self.settings.demo,
            force=force,
        )

    async def _links(self, inputs: dict[str, Panel[Any]]) -> Any:
        from portal.ops.health.links import links_for

        names = [a.app or a.name for a in inputs["argocd"].data or []]
        return links_for(self.settings, list(dict.fromkeys(names)) or list(SERVICES))

    async def _timeline(self, inputs: dict[str, Panel[Any]]) -> Any:
        try:
            from portal.ops.timeline import deploy_timeline
        except ImportError as exc:
            raise _missing("timeline", exc) from exc
        argocd = inputs["argocd"]
        if argocd.data is None:
            # No history to join: the timeline says why, with Argo CD's own status.
            raise _ERRORS.get(argocd.status, SourceFailed)(f"Needs Argo CD: {argocd.reason}")
        try:
            scan_for = self.ci_scans().scan
        except ImportError:
            scan_for = _no_scan
        result = deploy_timeline(argocd.data, scan_for, self.settings)
        return await result if inspect.isawaitable(result) else result

    async def _scorecard(self, inputs: dict[str, Panel[Any]]) -> Any:
        try:
            from portal.ops.scorecard import scorecard
        except ImportError as exc:
            raise _missing("scorecard", exc) from exc
        operator, ci = inputs["trivy-operator"].data, inputs["trivy-ci"].data
        scans = None if operator is None and ci is None else [*(operator or []), *(ci or [])]
        data = {name: panel.data for name, panel in inputs.items()}
        result = scorecard(data["argocd"], scans, data["cost"], data["health"])
        return await result if inspect.isawaitable(result) else result

    # -- admin actions (the caller has checked the role) -------------------------------------
    async def refresh_app(self, name: str, *, actor: str, hard: bool = False) -> None:
        await self.argocd().refresh(name, hard=hard, actor=actor)
        await self.cache.forget("argocd")

    async def sync_app(self, name: str, *, actor: str) -> None:
        await self.argocd().sync(name, actor=actor)
        await self.cache.forget("argocd")


def _derived_type(source: str) -> Any:
    """The answer type of a derived panel (Any while its module is not in this build)."""
    try:
        if source == "links":
            from portal.ops.health.models import AppLinks

            return list[AppLinks]
        if source == "timeline":
            from portal.ops.timeline import Deploy

            return list[Deploy]
        from portal.ops.scorecard import ScoreRow

        return list[ScoreRow]
    except ImportError:
        return Any


async def _no_scan(service: str, git_sha: str) -> None:
    return None


_dashboard: Dashboard | None = None


def dashboard() -> Dashboard:
    """The process's dashboard, made on first use from the environment."""
    global _dashboard
    if _dashboard is None:
        _dashboard = Dashboard(OpsSettings.from_env())
    return _dashboard


async def reset_dashboard() -> None:
    """Drop the process's dashboard (tests that change the environment)."""
    global _dashboard
    if _dashboard is not None:
        await _dashboard.cache.close()
        await _dashboard.audit.close()
    _dashboard = None
