"""articles: vacuum often enough for index-only counts

Every favorite updates its article's row (favorites_count), so pages of `articles` keep
losing their all-visible bit. With PostgreSQL's default thresholds (vacuum after 20 % of the
rows changed) the planner gives up the index-only scan of ix_articles_status_created and
counts a list's total with a sequential scan of the whole table (bodies and all): 15 ms
instead of about 1 ms on 10,000 articles, for every list answer that is not cached. A
vacuum after ~1 % of the rows keeps the visibility map fresh; fillfactor 90 leaves room on
each page so the counter update stays a HOT update (no index entries written).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE articles SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.01,"
        " autovacuum_vacuum_threshold = 100, autovacuum_analyze_scale_factor = 0.02,"
        " autovacuum_vacuum_insert_scale_factor = 0.02)"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE articles RESET (fillfactor, autovacuum_vacuum_scale_factor,"
        " autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor,"
        " autovacuum_vacuum_insert_scale_factor)"
    )
