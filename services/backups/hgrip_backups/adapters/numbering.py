"""The next serial of a Beijing day, allocated inside the caller's (submit) transaction.

``next_serial``: one statement, one round trip: ``INSERT (day, 1) … ON CONFLICT (day) DO UPDATE SET
last = last + 1 RETURNING last``. On PostgreSQL the day's row (or, for the day's first submits, its
primary key) makes concurrent submitters in any number of instances wait for each other, and each
then counts on from the value the previous one committed; on SQLite the whole write transaction is
serialised anyway. A submit that rolls back takes its increment (or the day's new row) with it, so
serials have no gaps and are never reused.

``number_last`` (PostgreSQL): the same increment as the submit transaction's last statement, which
also writes the number into the BackupSubmitted event and the backup's row the submit has already
written in that transaction: the day's row is then locked for that one statement and the COMMIT,
not for every write of the submit (app/numbering.py).
"""
from sqlalchemy import bindparam, text
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.backup_number import MAX_SERIAL, PREFIX, SERIAL_DIGITS
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


def numbers_last(connection) -> bool:
    """Whether a submit on this connection is numbered by ``number_last`` (PostgreSQL)."""
    return connection.dialect.name == "postgresql"


# Past the day's last serial nothing is written: the caller refuses and rolls back.
_NUMBER_LAST = text("""
WITH counted AS (
    INSERT INTO backup_number_counters AS c (day, last) VALUES (:day, 1)
    ON CONFLICT (day) DO UPDATE SET last = c.last + 1
    RETURNING c.last
), numbered AS (
    SELECT :prefix || lpad(counted.last::text, :digits, '0') AS number
    FROM counted WHERE counted.last <= :max_serial
), event_written AS (
    UPDATE events SET data = jsonb_set(events.data::jsonb, '{backup_number}', to_jsonb(numbered.number))::json
    FROM numbered WHERE events.event_id = :event_id RETURNING 1
), row_written AS (
    UPDATE backups SET backup_number = numbered.number
    FROM numbered WHERE backups.id = :backup_id RETURNING 1
)
SELECT counted.last, numbered.number,
       (SELECT count(*) FROM event_written) + (SELECT count(*) FROM row_written) AS written
FROM counted LEFT JOIN numbered ON true
""")


def number_last(connection, day: str, event_id: str, backup_id: str) -> tuple[int, str | None]:
    """The day's next serial, and the number written into event ``event_id`` (its ``backup_number``)
    and the ``backups`` row of ``backup_id``; None (nothing written) past the day's last serial."""
    serial, number, written = connection.execute(_NUMBER_LAST, {
        "day": day, "prefix": PREFIX + day, "digits": SERIAL_DIGITS, "max_serial": MAX_SERIAL,
        "event_id": event_id, "backup_id": backup_id}).one()
    if number is not None and written != 2:  # pragma: no cover - the caller wrote both first
        raise RuntimeError(f"number {number} written into {written} of the event and the row")
    return serial, number
