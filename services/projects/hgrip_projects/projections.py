"""The projects read model (SQLAlchemy Core), written in the same transaction as the events.

UNIQUE(owner_id, name) is what keeps names unique within an account under concurrency: the
read-model check before creating only gives the common case a quick answer.
"""
from datetime import datetime

from sqlalchemy import (
    Column,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from hgrip_kernel.store.tables import UTCDateTime

from .domain import refusals

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


def name_taken(connection, owner_id: str, name: str) -> bool:
    return bool(names_taken(connection, owner_id, [name]))


def names_taken(connection, owner_id: str, names, except_ids=()) -> list[str]:
    """Which of ``names`` the owner already uses (in no particular order), not counting the
    projects ``except_ids``."""
    if not names:
        return []
    query = select(projects.c.name).where(projects.c.owner_id == owner_id,
                                          projects.c.name.in_(sorted(set(names))))
    if except_ids:
        query = query.where(projects.c.id.not_in(sorted(set(except_ids))))
    return list(connection.execute(query).scalars())


def apply_project_created(connection, envelope) -> dict:
    """Insert the row for a ProjectCreated envelope; a lost name race becomes a Conflict."""
    data = envelope.data
    row = {
        "id": data["project_id"], "owner_id": data["owner_id"],
        "owner_username": data["owner_username"], "name": data["name"],
        "pi_name": data["pi_name"], "pi_email": data["pi_email"],
        "institution_code": data["institution_code"], "institution_name": data["institution_name"],
        "unit_code": data["unit_code"], "unit_name": data["unit_name"],
        "created_at": datetime.fromisoformat(data["created_at"]), "event_id": envelope.event_id,
    }
    try:
        connection.execute(insert(projects).values(**row))
    except IntegrityError as exc:
        if _is_name_clash(exc):
            raise refusals.project_name_taken(data["name"]) from exc
        raise
    return row


def apply_project_delegated(connection, envelope, name: str) -> None:
    """Give the row of a ProjectDelegated envelope its new owner and unit.

    ``name`` is the project's name: when a project of that name reached the new owner in the
    meantime, UNIQUE(owner_id, name) refuses the move and the whole transfer rolls back with it.
    """
    data = envelope.data
    statement = (update(projects).where(projects.c.id == data["project_id"])
                 .values(owner_id=data["to_owner_id"], owner_username=data["to_username"],
                         unit_code=data["unit_code"], unit_name=data["unit_name"]))
    try:
        updated = connection.execute(statement).rowcount
    except IntegrityError as exc:
        if _is_name_clash(exc):
            raise refusals.delegate_has_project_named([name]) from exc
        raise
    if updated != 1:  # the row is written with the project's first event: it cannot be missing
        raise LookupError(f"no read-model row for project {data['project_id']}")


def _is_name_clash(exc: IntegrityError) -> bool:
    diag = getattr(exc.orig, "diag", None)  # psycopg2 names the violated constraint
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == NAME_CONSTRAINT
    return "projects.owner_id, projects.name" in str(exc.orig)  # SQLite names the columns


def list_for_owner(connection, owner_id: str) -> list:
    query = (select(projects).where(projects.c.owner_id == owner_id)
             .order_by(projects.c.created_at.desc(), projects.c.id.desc()))
    return list(connection.execute(query).mappings())


def get_for_owner(connection, owner_id: str, project_id: str):
    """The row, or None when it is missing or someone else's (the caller cannot tell which)."""
    query = select(projects).where(projects.c.id == project_id, projects.c.owner_id == owner_id)
    return connection.execute(query).mappings().first()


def to_dict(row) -> dict:
    """The project as the RPC API returns it."""
    unit = {"code": row["unit_code"], "name": row["unit_name"]} if row["unit_code"] else None
    return {
        "id": row["id"], "name": row["name"],
        "pi_name": row["pi_name"], "pi_email": row["pi_email"],
        "institution": {"code": row["institution_code"], "name": row["institution_name"]},
        "unit": unit, "owner_id": row["owner_id"], "created_at": row["created_at"].isoformat(),
    }
