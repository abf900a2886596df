"""What following a job to its end needs: step messages, result files, a paused reason

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:12:00

``jobs`` gains the server's latest step messages and the list of result files on disk (both
JSON, defaulting to empty lists for existing rows), ``attention`` (why following is paused
without a state change, such as an expired token) and the time the retention reminder was sent.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("messages", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("results", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("attention", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("expiry_reminded_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("expiry_reminded_at")
        batch_op.drop_column("attention")
        batch_op.drop_column("results")
        batch_op.drop_column("messages")
