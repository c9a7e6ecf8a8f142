"""Tables and API shapes for users, profiles and follows (SQLModel families per STYLE.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from pydantic import field_validator
from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Identity, Index, func
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from service_kit.db import naming_metadata
from service_kit.schemas import CleanStr, Strict

# A registry of our own, so auth_service's tables never mix with another service's.
auth_registry = registry(metadata=naming_metadata())

USERNAME_MAX = 40
EMAIL_MAX = 254
BIO_MAX = 2000
IMAGE_MAX = 2000
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
ROLES = ("user", "admin")


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp_column() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class AuthTable(SQLModel, registry=auth_registry):
    pass


class User(AuthTable, table=True):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_username_lower", func.lower(Column("username")), unique=True),
        Index("uq_users_email", "email", unique=True),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    username: str = Field(max_length=USERNAME_MAX)
    email: str = Field(max_length=EMAIL_MAX)
    password_hash: str
    bio: str | None = Field(default=None, max_length=BIO_MAX)
    image: str | None = Field(default=None, max_length=IMAGE_MAX)
    role: str = Field(default="user", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class Follow(AuthTable, table=True):
    __tablename__ = "follows"
    __table_args__ = (Index("ix_follows_followee_id", "followee_id"),)

    follower_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    followee_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


# ---- API shapes ---------------------------------------------------------------------------


def reject_null(value: object) -> object:
    if value is None:
        raise ValueError("can't be null")
    return value


def check_username(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("can't be blank")
    if not USERNAME_PATTERN.fullmatch(value):
        raise ValueError("may only contain letters, digits, '_', '-' and '.'")
    return value


def check_email(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("can't be blank")
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError("is invalid") from exc


def check_image(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    if not re.match(r"^https?://[^\s]+$", value.strip(), flags=re.IGNORECASE):
        raise ValueError("must be an http or https URL")
    return value.strip()


class UserCreate(Strict):
    username: CleanStr = Field(max_length=USERNAME_MAX)
    email: CleanStr = Field(max_length=EMAIL_MAX)
    # The policy (length, common passwords) is checked before hashing, with its own messages;
    # the 1 MiB body limit bounds what arrives here.
    password: CleanStr

    _username = field_validator("username")(check_username)
    _email = field_validator("email")(check_email)


class UserLogin(Strict):
    email: CleanStr = Field(min_length=1, max_length=EMAIL_MAX)
    password: CleanStr = Field(min_length=1)


class UserUpdate(Strict):
    email: CleanStr | None = Field(default=None, max_length=EMAIL_MAX)
    username: CleanStr | None = Field(default=None, max_length=USERNAME_MAX)
    password: CleanStr | None = None
    bio: CleanStr | None = Field(default=None, max_length=BIO_MAX)
    image: CleanStr | None = Field(default=None, max_length=IMAGE_MAX)

    _username = field_validator("username")(lambda v: None if v is None else check_username(v))
    _email = field_validator("email")(lambda v: None if v is None else check_email(v))
    _image = field_validator("image")(check_image)
    # The contract makes only bio and image nullable (null clears them). A null email,
    # username or password is a mistake to report, not a field to skip in silence.
    _not_null = field_validator("email", "username", "password", mode="before")(
        lambda v: reject_null(v)
    )


class NewUserRequest(Strict):
    user: UserCreate


class LoginRequest(Strict):
    user: UserLogin


class UpdateUserRequest(Strict):
    user: UserUpdate


class UserPublic(SQLModel):
    email: str
    token: str
    username: str
    bio: str | None
    image: str | None
    # Additive to the contract: the refresh token (register, login, refresh) and the role.
    refreshToken: str | None = None  # noqa: N815 - the API's camelCase
    role: str


class UserResponse(SQLModel):
    user: UserPublic


class ProfilePublic(SQLModel):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ProfileResponse(SQLModel):
    profile: ProfilePublic


class RefreshRequest(Strict):
    refreshToken: str = Field(min_length=1, max_length=512)  # noqa: N815


class ProfileBatchRequest(Strict):
    ids: list[int] = Field(default_factory=list, max_length=500)
    usernames: list[str] = Field(default_factory=list, max_length=500)
    viewerId: int | None = None  # noqa: N815
    # The viewer's feed needs everyone they follow: ids and profiles, in the same call.
    includeFollowing: bool = False  # noqa: N815


class ProfileRecord(SQLModel):
    id: int
    username: str
    bio: str | None
    image: str | None
    following: bool


class ProfileBatchResponse(SQLModel):
    profiles: list[ProfileRecord]
    followingIds: list[int] | None = None  # noqa: N815 - only with includeFollowing
