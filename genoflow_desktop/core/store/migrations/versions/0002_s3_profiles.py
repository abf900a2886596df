"""S3 profiles, and what the upload journal needs beyond the first schema

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:29:54.193316

``s3_profiles`` holds S3 destinations (the secret key stays in the OS keychain). ``uploads``
gains the completed object's ETag, the last measured speed (so progress reads the same after a
restart) and the record of what was verified after completion. The new columns are nullable,
so existing rows need no default.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "s3_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("endpoint_url", sa.Text(), nullable=True),
        sa.Column("region", sa.String(length=50), nullable=True),
        sa.Column("bucket", sa.String(length=255), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("access_key_id", sa.String(length=128), nullable=True),
        sa.Column("sse", sa.String(length=20), nullable=False),
        sa.Column("kms_key_id", sa.Text(), nullable=True),
        sa.Column("use_credential_chain", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_s3_profiles")),
        sa.UniqueConstraint("name", name=op.f("uq_s3_profiles_name")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("etag", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("speed_bps", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("verification", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("verification")
        batch_op.drop_column("speed_bps")
        batch_op.drop_column("etag")

    op.drop_table("s3_profiles")
