"""articles.search: keep the search vector in the row, not in the TOAST table

A search for a common word matches most articles, and PostgreSQL then checks the match
and computes the rank on every row's vector. Stored out of line (the default once a row
with its body passes 2 kB), each of those reads is a TOAST lookup: on 10,000 articles the
count of a common word took 41 ms and the ranked page 40 ms. With STORAGE MAIN the
vector stays in the row (the body moves out first), and both took 6-7 ms.

Rows written before this migration keep their vector out of line until they are next
written; `VACUUM FULL articles` in a quiet hour moves them all at once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 01:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE articles ALTER COLUMN search SET STORAGE MAIN")


def downgrade() -> None:
    op.execute("ALTER TABLE articles ALTER COLUMN search SET STORAGE EXTENDED")
