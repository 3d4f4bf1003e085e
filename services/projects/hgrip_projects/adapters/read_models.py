"""The projects read model (SQLAlchemy Core), written in the same transaction as the events.

UNIQUE(owner_id, name) is what keeps names unique within an account under concurrency: the
read-model check before creating only gives the common case a quick answer.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..domain import refusals
from .tables import NAME_CONSTRAINT, projects


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


def created_row(envelope) -> dict:
    """The row of a ProjectCreated envelope (the rebuild's rule too)."""
    data = envelope.data
    return {
        "id": data["project_id"], "owner_id": data["owner_id"],
        "owner_username": data["owner_username"], "name": data["name"],
        "pi_name": data["pi_name"], "pi_email": data["pi_email"],
        "institution_code": data["institution_code"], "institution_name": data["institution_name"],
        "unit_code": data["unit_code"], "unit_name": data["unit_name"],
        "created_at": datetime.fromisoformat(data["created_at"]), "event_id": envelope.event_id,
    }


def delegated_values(envelope) -> dict:
    """What a ProjectDelegated envelope changes in its row (the rebuild's rule too)."""
    data = envelope.data
    return {"owner_id": data["to_owner_id"], "owner_username": data["to_username"],
            "unit_code": data["unit_code"], "unit_name": data["unit_name"]}


def apply_project_created(connection, envelope) -> dict:
    """Insert the row for a ProjectCreated envelope; a lost name race becomes a Conflict."""
    row = created_row(envelope)
    try:
        connection.execute(insert(projects).values(**row))
    except IntegrityError as exc:
        if _is_name_clash(exc):
            raise refusals.project_name_taken(row["name"]) from exc
        raise
    return row


def apply_project_delegated(connection, envelope, name: str) -> None:
    """Give the row of a ProjectDelegated envelope its new owner and unit.

    ``name`` is the project's name: when a project of that name reached the new owner in the
    meantime, UNIQUE(owner_id, name) refuses the move and the whole transfer rolls back with it.
    """
    data = envelope.data
    statement = (update(projects).where(projects.c.id == data["project_id"])
                 .values(**delegated_values(envelope)))
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



class SqlProjectRecords:
    """The ``ProjectRecords`` port on one connection."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def names_taken(self, owner_id: str, names, except_ids=()) -> list[str]:
        return names_taken(self.connection, owner_id, names, except_ids=except_ids)

    def apply_project_created(self, envelope) -> dict:
        return apply_project_created(self.connection, envelope)

    def apply_project_delegated(self, envelope, name: str) -> None:
        apply_project_delegated(self.connection, envelope, name)

    def list_for_owner(self, owner_id: str) -> list:
        return list_for_owner(self.connection, owner_id)

    def get_for_owner(self, owner_id: str, project_id: str):
        return get_for_owner(self.connection, owner_id, project_id)


class SqlDatabase:
    """The ``Database`` port: the read model on a connection of its own, or on a unit of work's."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @contextmanager
    def reading(self) -> Iterator[SqlProjectRecords]:
        with self.engine.connect() as connection:
            yield SqlProjectRecords(connection)

    def within(self, uow) -> SqlProjectRecords:
        return SqlProjectRecords(uow.connection)
