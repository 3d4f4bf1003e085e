"""Every table and index of the projects database, on one ``metadata`` (the migrations' env.py uses it).

UNIQUE(owner_id, name) is what keeps names unique within an account under concurrency: the
read-model check before creating only gives the common case a quick answer.
"""
from sqlalchemy import Column, Index, MetaData, String, Table, UniqueConstraint

from hgrip_kernel.store.tables import UTCDateTime

metadata = MetaData()

NAME_CONSTRAINT = "uq_projects_owner_name"

projects = Table(
    "projects", metadata,
    Column("id", String(36), primary_key=True),
    Column("owner_id", String(36), nullable=False),
    Column("owner_username", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("pi_name", String(50), nullable=False),
    Column("pi_email", String(254), nullable=False),
    Column("institution_code", String(64), nullable=False),
    Column("institution_name", String(200), nullable=False),
    Column("unit_code", String(64)),
    Column("unit_name", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("event_id", String(36), nullable=False),  # the ProjectCreated this row came from
    UniqueConstraint("owner_id", "name", name=NAME_CONSTRAINT),
    Index("ix_projects_owner_created", "owner_id", "created_at"),
)
