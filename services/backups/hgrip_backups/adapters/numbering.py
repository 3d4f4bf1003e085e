"""The next serial of a Beijing day, allocated inside the caller's (submit) transaction.

``next_serial``: one statement, one round trip: ``INSERT (day, 1) … ON CONFLICT (day) DO UPDATE SET
last = last + 1 RETURNING last``. On PostgreSQL the day's row (or, for the day's first submits, its
primary key) makes concurrent submitters in any number of instances wait for each other, and each
then counts on from the value the previous one committed; on SQLite the whole write transaction is
serialised anyway. A submit that rolls back takes its increment (or the day's new row) with it, so
serials have no gaps and are never reused.

``number_last`` (PostgreSQL): the same increment as the submit transaction's last statement, which
also writes the number into the BackupSubmitted event the submit has already appended and writes
the backup's ``backups`` row, every column, in that one statement: the day's row is then locked for
that one statement and the COMMIT, not for every write of the submit (app/numbering.py), and the
row (8 btree and 2 GIN expression indexes, none of its updates HOT) is written once per submit, not
first without its number and then again with it.
"""
from sqlalchemy import Integer, String, bindparam, column, text
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.backup_number import MAX_SERIAL, PREFIX, SERIAL_DIGITS
from .tables import backup_number_counters as counters
from .tables import backups


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


# The row's columns a submit binds (read_models.backup_row): every one but its key and its number.
ROW_COLUMNS = tuple(c for c in backups.c if c.name not in ("id", "backup_number"))
_SET_ROW = ", ".join(f"{c.name} = :{c.name}" for c in ROW_COLUMNS)

# Past the day's last serial nothing is written: the caller refuses and rolls back. No backups row
# yet (none to update): the row's columns come back NULL and the caller writes it (app/numbering.py).
# Bind and result types are the table's (JSON categories, UTCDateTime times), so the row answered is
# typed as write_backup's RETURNING is.
_NUMBER_LAST = text(f"""
WITH counted AS (
    INSERT INTO backup_number_counters AS c (day, last) VALUES (:day, 1)
    ON CONFLICT (day) DO UPDATE SET last = c.last + 1
    RETURNING c.last
), numbered AS (
    SELECT :prefix || lpad(counted.last::text, :digits, '0') AS number
    FROM counted WHERE counted.last <= :max_serial
), event_written AS (
    UPDATE events SET data = jsonb_set(events.data::jsonb, '{{backup_number}}', to_jsonb(numbered.number))::json
    FROM numbered WHERE events.event_id = :event_id RETURNING 1
), row_written AS (
    UPDATE backups SET {_SET_ROW}, backup_number = numbered.number
    FROM numbered WHERE backups.id = :backup_id RETURNING backups.*
)
SELECT counted.last AS serial, numbered.number AS number,
       (SELECT count(*) FROM event_written) AS events_written,
       {", ".join(f"row_written.{c.name}" for c in backups.c)}
FROM counted LEFT JOIN numbered ON true LEFT JOIN row_written ON true
""").bindparams(  # nosec B608 # the SET and SELECT lists are the backups table's own column names
    *(bindparam(c.name, type_=c.type) for c in ROW_COLUMNS)
).columns(column("serial", Integer), column("number", String), column("events_written", Integer),
          *backups.c)


def number_last(connection, day: str, event_id: str, backup_id: str,
                row: dict) -> tuple[int, str | None, dict | None]:
    """The day's next serial and the number written into event ``event_id`` (its ``backup_number``)
    → ``(serial, number, stored)``: ``stored`` the ``backups`` row of ``backup_id`` as written, all of
    ``row`` (``read_models.backup_row``) and the number; None when there is no such row yet (the
    caller writes it). Number and row None (nothing written) past the day's last serial."""
    result = connection.execute(_NUMBER_LAST, {
        "day": day, "prefix": PREFIX + day, "digits": SERIAL_DIGITS, "max_serial": MAX_SERIAL,
        "event_id": event_id, "backup_id": backup_id,
        **{c.name: row[c.name] for c in ROW_COLUMNS}}).mappings().one()
    number = result["number"]
    if number is not None and result["events_written"] != 1:  # pragma: no cover - the caller appended it
        raise RuntimeError(f"number {number} written into {result['events_written']} events")
    stored = {c.name: result[c.name] for c in backups.c} if result["id"] is not None else None
    return result["serial"], number, stored
