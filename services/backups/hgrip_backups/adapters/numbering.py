"""The next serial of a Beijing day, allocated inside the caller's (submit) transaction.

``UPDATE … SET last = last + 1 … RETURNING last`` on the day's counter row: on PostgreSQL the row
lock makes concurrent submitters (in any number of instances) wait for each other, and each reads
the value the previous one committed; on SQLite the whole write transaction is serialised anyway.
A submit that rolls back takes its increment with it, so serials have no gaps and are never reused.
"""
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from .tables import backup_number_counters as counters


def next_serial(connection, day: str) -> int:
    _ensure_counter(connection, day)
    statement = (update(counters).where(counters.c.day == day)
                 .values(last=counters.c.last + 1).returning(counters.c.last))
    return connection.execute(statement).scalar_one()


def _ensure_counter(connection, day: str) -> None:
    """The day's row at 0 unless it exists. A racing first insert of the same day waits for the
    other transaction on the primary key, then does nothing: both go on to the UPDATE."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(counters).values(day=day, last=0).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(counters).values(day=day, last=0).on_conflict_do_nothing()
    else:  # pragma: no cover - other backends are not supported
        raise NotImplementedError(dialect)
    connection.execute(statement)
