"""Operator commands: ``python -m auth_service.cli migrate | promote EMAIL | demote EMAIL``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from auth_service import crud
from auth_service.config import AuthSettings
from service_kit.db import create_engine, session_factory
from service_kit.migrations import upgrade


def migrate(database_url: str, revision: str = "head") -> None:
    upgrade("auth_service", database_url, revision)


async def change_role(settings: AuthSettings, email: str, role: str) -> bool:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session:
            user = await crud.set_role(session, email, role)
            await session.commit()
            return user is not None
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="auth-service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply every database migration")
    for name in ("promote", "demote"):
        sub = commands.add_parser(name, help=f"{name} a user (by e-mail) to/from admin")
        sub.add_argument("email")
    args = parser.parse_args(argv)
    settings = AuthSettings()
    if args.command == "migrate":
        migrate(settings.database_url)
        print("auth_service: database is at the latest migration")
        return 0
    role = "admin" if args.command == "promote" else "user"
    if not asyncio.run(change_role(settings, args.email, role)):
        print(f"auth_service: no user with e-mail {args.email}", file=sys.stderr)
        return 1
    print(f"auth_service: {args.email} is now {role}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
