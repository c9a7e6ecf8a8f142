"""Building blocks for request bodies that every service uses."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ConfigDict
from sqlmodel import SQLModel


def reject_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here keeps it a 422, not a driver error.
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("can't be blank")
    return value


CleanStr = Annotated[str, AfterValidator(reject_nul)]
RequiredStr = Annotated[str, AfterValidator(reject_nul), AfterValidator(not_blank)]


class Strict(SQLModel):
    """Request bodies refuse unknown and read-only fields instead of ignoring them."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
