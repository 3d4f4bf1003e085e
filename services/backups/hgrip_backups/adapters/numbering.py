"""The next serial of a Beijing day, allocated inside the caller's (submit) transaction.

One statement, one round trip: ``INSERT (day, 1) … ON CONFLICT (day) DO UPDATE SET last = last + 1
RETURNING last``. On PostgreSQL the day's row (or, for the day's first submits, its primary key)
makes concurrent submitters in any number of instances wait for each other, and each then counts
on from the value the previous one committed; on SQLite the whole write transaction is serialised
anyway. A submit that rolls back takes its increment (or the day's new row) with it, so serials
have no gaps and are never reused.
"""
from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from .tables import backup_number_counters as counters


def _count_on(dialect_insert):
    """The upsert for one dialect, built once (no per-call statement construction or cache key)."""
    statement = dialect_insert(counters).values(day=bindparam("day"), last=1)
    return (statement.on_conflict_do_update(index_elements=[counters.c.day],
                                            set_={"last": counters.c.last + 1})
            .returning(counters.c.last))


_NEXT_SERIAL = {"postgresql": _count_on(postgresql.insert), "sqlite": _count_on(sqlite.insert)}


def next_serial(connection, day: str) -> int:
    statement = _NEXT_SERIAL.get(connection.dialect.name)
    if statement is None:  # pragma: no cover - other backends are not supported
        raise NotImplementedError(connection.dialect.name)
    return connection.execute(statement, {"day": day}).scalar_one()
