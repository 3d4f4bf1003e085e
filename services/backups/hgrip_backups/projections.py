"""Projects the backups service knows of, folded from projects.ProjectCreated.

Backups will be created under these; owner and institution decide who may see them.
"""
from sqlalchemy import Column, MetaData, String, Table, insert, select

metadata = MetaData()

known_projects = Table(
    "known_projects", metadata,
    Column("project_id", String(36), primary_key=True),
    Column("owner_id", String(36), nullable=False, index=True),
    Column("institution_code", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("applied_event_id", String(36), nullable=False),
)


def apply_project_created(connection, envelope) -> None:
    data = envelope.data
    connection.execute(insert(known_projects).values(
        project_id=data["project_id"], owner_id=data["owner_id"],
        institution_code=data["institution_code"], name=data["name"],
        applied_event_id=envelope.event_id))


def get_known_project(connection, project_id: str) -> dict | None:
    row = connection.execute(
        select(known_projects).where(known_projects.c.project_id == project_id)).mappings().first()
    return dict(row) if row else None
