"""Queries on users and follows. Helpers only ``flush()``; the request's session commits."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth_service.models import Follow, User, utcnow
from service_kit.errors import Conflict


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(select(User).where(col(User.email) == email.lower()))
    return result.scalar_one_or_none()


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.execute(
        select(User).where(func.lower(User.username) == username.lower())
    )
    return result.scalar_one_or_none()


async def users_by_ids(session: AsyncSession, ids: Iterable[int]) -> list[User]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    result = await session.execute(select(User).where(col(User.id).in_(wanted)))
    return list(result.scalars())


async def users_by_usernames(session: AsyncSession, usernames: Iterable[str]) -> list[User]:
    wanted = sorted({name.lower() for name in usernames})
    if not wanted:
        return []
    result = await session.execute(select(User).where(func.lower(User.username).in_(wanted)))
    return list(result.scalars())


async def ensure_available(
    session: AsyncSession, *, username: str | None, email: str | None, exclude_id: int | None
) -> None:
    """Raise 409 for a username or email someone else already has."""
    if username is not None:
        holder = await user_by_username(session, username)
        if holder is not None and holder.id != exclude_id:
            raise Conflict("username")
    if email is not None:
        holder = await user_by_email(session, email)
        if holder is not None and holder.id != exclude_id:
            raise Conflict("email")


async def flush_unique(session: AsyncSession) -> None:
    """Flush, turning a lost race on a unique index into the same 409 as the check above."""
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        field = "email" if "email" in str(exc.orig) else "username"
        raise Conflict(field) from exc


async def create_user(
    session: AsyncSession, *, username: str, email: str, password_hash: str
) -> User:
    await ensure_available(session, username=username, email=email, exclude_id=None)
    user = User(username=username, email=email, password_hash=password_hash)
    session.add(user)
    await flush_unique(session)
    return user


async def touch(user: User) -> None:
    user.updated_at = utcnow()


async def follow(session: AsyncSession, follower_id: int, followee_id: int) -> None:
    statement = (
        insert(Follow)
        .values(follower_id=follower_id, followee_id=followee_id)
        .on_conflict_do_nothing()
    )
    await session.execute(statement)


async def unfollow(session: AsyncSession, follower_id: int, followee_id: int) -> None:
    await session.execute(
        delete(Follow).where(
            col(Follow.follower_id) == follower_id,
            col(Follow.followee_id) == followee_id,
        )
    )


async def followed_ids(session: AsyncSession, follower_id: int) -> set[int]:
    result = await session.execute(
        select(col(Follow.followee_id)).where(col(Follow.follower_id) == follower_id)
    )
    return set(result.scalars())


async def set_role(session: AsyncSession, email: str, role: str) -> User | None:
    user = await user_by_email(session, email)
    if user is not None:
        user.role = role
        await touch(user)
        await session.flush()
    return user
