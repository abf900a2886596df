"""Lab sync: where jobs and uploads come from, what was last exchanged, and the sync account

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:00:00

``jobs`` and ``uploads`` gain ``origin`` ("local" for every existing row: this machine made it;
"lab" for rows pulled from the sync server), the server's id of their owner and ``synced_at``
(the ``updated_at`` of the version last exchanged with the server). ``uploads`` gains ``owner``
(a display name, as ``jobs`` already has); ``jobs`` gains the project and sample, and the name
and kind of the service for jobs pulled from the lab. ``sync_account`` holds the signed-in
account (server, user, lab, pull cursor); its tokens are only ever in the OS keychain.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_url", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("lab_id", sa.String(length=64), nullable=True),
        sa.Column("lab_name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("pull_cursor", sa.BigInteger(), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_account")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("sample_id", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("origin", sa.String(length=10), nullable=False, server_default="local")
        )
        batch_op.add_column(sa.Column("service_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("service_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("lab_owner_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("synced_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=10), nullable=False, server_default="local")
        )
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lab_owner_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("synced_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("synced_at")
        batch_op.drop_column("lab_owner_id")
        batch_op.drop_column("owner")
        batch_op.drop_column("origin")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("synced_at")
        batch_op.drop_column("lab_owner_id")
        batch_op.drop_column("service_kind")
        batch_op.drop_column("service_name")
        batch_op.drop_column("origin")
        batch_op.drop_column("sample_id")
        batch_op.drop_column("project_id")
    op.drop_table("sync_account")
