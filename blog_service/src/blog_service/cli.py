"""Operator commands: ``python -m blog_service.cli migrate``."""

from __future__ import annotations

import argparse
import sys

from blog_service.config import BlogSettings
from service_kit.migrations import upgrade


def migrate(database_url: str, revision: str = "head") -> None:
    upgrade("blog_service", database_url, revision)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="blog-service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply every database migration")
    parser.parse_args(argv)
    migrate(BlogSettings().database_url)
    print("blog_service: database is at the latest migration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
