"""One dashboard panel's answer: its data, or the exact reason it has none, and how old it is.

Adapters raise a :class:`SourceError` subclass; :func:`portal.ops.loader.load_panel` turns
that (or a timeout, or anything unexpected) into a :class:`Panel` with a status a person can
act on, and keeps showing the last good data as "stale since ...".
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Model",
    "NotConfigured",
    "Panel",
    "PanelStatus",
    "SourceError",
    "SourceFailed",
    "Unauthorised",
    "Unreachable",
]

T = TypeVar("T")


class Model(BaseModel):
    """Base of every ops data model: immutable, JSON round-trips through the Redis cache."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class PanelStatus(StrEnum):
    OK = "ok"
    NOT_CONFIGURED = "not_configured"
    UNAUTHORISED = "unauthorised"
    UNREACHABLE = "unreachable"
    TIMED_OUT = "timed_out"
    FAILED = "failed"


class SourceError(Exception):
    """A source could not answer; `reason` is shown on the panel as it is."""

    status = PanelStatus.FAILED

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotConfigured(SourceError):
    status = PanelStatus.NOT_CONFIGURED

    def __init__(self, what: str, *settings: str) -> None:
        names = " or ".join(settings)
        super().__init__(f"{what} is not configured: set {names}." if names else what)
        self.settings = settings


class Unauthorised(SourceError):
    status = PanelStatus.UNAUTHORISED


class Unreachable(SourceError):
    status = PanelStatus.UNREACHABLE


class SourceFailed(SourceError):
    status = PanelStatus.FAILED


class Panel(BaseModel, Generic[T]):
    """What a panel shows. `data` is set when ok, and also when stale (older data kept)."""

    model_config = ConfigDict(frozen=True)

    source: str
    status: PanelStatus
    reason: str = ""
    data: T | None = None
    fetched_at: datetime | None = None
    # Set when the source failed now and `data` is what it answered at this earlier time.
    stale_since: datetime | None = None
    demo: bool = False

    @property
    def ok(self) -> bool:
        return self.status is PanelStatus.OK
