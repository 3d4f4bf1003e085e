"""The push queues on the database (``tables.py``): ``SqlPushRows`` is the ``PushRows`` port; the
functions below are its queries, one connection each, usable on their own (the pusher's tests use them).
"""
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Column, Table, TextClause, bindparam, func, insert, select, text, update
from sqlalchemy.dialects import postgresql

from hgrip_kernel.envelope import Envelope, utcnow
from hgrip_kernel.ports import UnitOfWork
from hgrip_kernel.store.engine import single_statement

from ..app.ports import DueRow, HgrgReceipts, Ports, RowChange
from ..app.pushing import Pusher
from ..app.queues import row_change
from ..domain import OPEN_STATES
from .tables import QUEUE_TABLES, owner_changes, sync_states

__all__ = ["SqlPushRows", "apply", "claim_due", "get", "known", "owner_changes", "owner_changes_of",
           "rows_of", "sql_ports", "sql_pusher", "summary", "sync_states"]


def _key(table: Table) -> Column:
    [column] = table.primary_key.columns
    return column


def known(connection: Any, backup_numbers: Sequence[str]) -> set[str]:
    """Which of these backup numbers have a row: one SELECT … IN."""
    if not backup_numbers:
        return set()
    query = select(sync_states.c.backup_number).where(sync_states.c.backup_number.in_(list(backup_numbers)))
    return set(connection.execute(query).scalars())


def get(connection: Any, key: str, for_update: bool = False, table: Table = sync_states) -> Mapping | None:
    """The row of one push: a backup number's (default) or, with ``table=owner_changes``, a change's."""
    query = select(table).where(_key(table) == key)
    if for_update:
        query = query.with_for_update()
    return connection.execute(query).mappings().first()


def claim_due(connection: Any, now: datetime, lease_until: datetime, limit: int,
              table: Table = sync_states) -> list:
    """Rows of one queue due for a push, leased until ``lease_until`` so no one else takes them
    meanwhile; each with ``key`` (its primary key), ``payload``, ``correlation_id``, ``attempts``.
    One statement: UPDATE … WHERE key IN (the oldest due, FOR UPDATE SKIP LOCKED) RETURNING.

    SKIP LOCKED lets several instances claim at once without waiting on each other or taking the
    same row (PostgreSQL); SQLite ignores it, where BEGIN IMMEDIATE serialises claims instead.
    """
    key = _key(table)
    due = (select(key).where(table.c.state.in_(OPEN_STATES), table.c.next_attempt_at <= now)
           .order_by(table.c.next_attempt_at, key).limit(limit).with_for_update(skip_locked=True))
    rows = connection.execute(
        update(table).where(key.in_(due.scalar_subquery())).values(next_attempt_at=lease_until)
        .returning(key.label("key"), table.c.payload, table.c.correlation_id, table.c.attempts)).all()
    return sorted(rows, key=lambda row: row.key)   # (RETURNING keeps no order; any order will do)


def rows_of(connection: Any, keys: Sequence[str], table: Table = sync_states) -> dict[str, Mapping]:
    """The rows of several pushes of one queue by key, locked until the transaction ends."""
    if not keys:
        return {}
    key = _key(table)
    return {row[key.name]: row for row in connection.execute(
        select(table).where(key.in_(list(keys))).order_by(key).with_for_update()).mappings()}


def _apply_all(connection: Any, changes: Sequence[RowChange]) -> None:
    """Several changes, alike ones (same queue and columns) in one statement; a row changed twice
    (an attempt and BackupSyncOverdue) gets both, the later values winning, in one statement."""
    merged: dict[tuple[str, str], RowChange] = {}
    for change in changes:
        earlier = merged.get((change.queue, change.key))
        merged[(change.queue, change.key)] = change if earlier is None else RowChange(
            change.queue, change.key, {**earlier.values, **change.values}, earlier.new)
    alike: dict[tuple[str, bool, tuple[str, ...]], list[RowChange]] = {}
    for change in merged.values():
        alike.setdefault((change.queue, change.new, tuple(sorted(change.values))), []).append(change)
    for (queue, new, columns), group in alike.items():
        table = QUEUE_TABLES[queue]
        if new:
            connection.execute(insert(table), [change.values for change in group])
        elif connection.dialect.name == "postgresql" and len(group) > 1:
            connection.execute(_update_from_arrays(queue, columns), {
                "keys": [change.key for change in group],
                **{f"v_{c}": [change.values[c] for change in group] for c in columns}})
        else:
            statement = (update(table).where(_key(table) == bindparam("key_"))
                         .values({column: bindparam(f"v_{column}") for column in columns}))
            connection.execute(statement, [{"key_": change.key, **{f"v_{c}": v for c, v in change.values.items()}}
                                           for change in group])


@cache
def _update_from_arrays(queue: str, columns: tuple[str, ...]) -> TextClause:
    """PostgreSQL: rows of one queue changed alike, by ONE statement whatever their number (psycopg2's
    executemany sends one UPDATE per row): ``UPDATE … FROM unnest(each column's values as an array)``.
    The queues' changes carry no JSON (the payload is written once, by the INSERT)."""
    table = QUEUE_TABLES[queue]
    key = _key(table)

    def array_of(column: Column) -> str:
        assert not isinstance(column.type, JSON), column   # (a list of dicts is no array)
        return f"{column.type.compile(dialect=postgresql.dialect())}[]"

    arrays = ", ".join([f"CAST(:keys AS {array_of(key)})", *(f"CAST(:v_{c} AS {array_of(table.c[c])})"
                                                            for c in columns)])
    return text(f"UPDATE {table.name} AS t SET {', '.join(f'{c} = v.{c}' for c in columns)} "  # nosec B608
                f"FROM unnest({arrays}) AS v(key_, {', '.join(columns)}) WHERE t.{key.name} = v.key_")


def apply(connection: Any, envelope: Envelope) -> None:
    """Fold one stored event into its row; the events' correlation id is the original request's."""
    _apply_all(connection, [row_change(envelope)])


def owner_changes_of(connection: Any, backup_number: str) -> Sequence[Mapping]:
    """Every owner change of one backup number, oldest (lowest sequence) first."""
    return connection.execute(
        select(owner_changes).where(owner_changes.c.backup_number == backup_number)
        .order_by(owner_changes.c.sequence, owner_changes.c.change_id)).mappings().all()


def summary(connection: Any) -> dict:
    """Counts by queue and state, the oldest open push (a number's: when it was requested, else its
    last change) and the last successful push of each queue: four grouped statements."""
    counts, oldest, last = {}, {}, {}
    for queue, table in QUEUE_TABLES.items():
        for state, count in connection.execute(select(table.c.state, func.count()).group_by(table.c.state)):
            counts[(queue, state)] = count
        opened = func.coalesce(table.c.requested_at, table.c.updated_at) if "requested_at" in table.c \
            else table.c.updated_at
        oldest[queue] = connection.execute(select(func.min(opened))
                                           .where(table.c.state.in_(OPEN_STATES))).scalar()
        last[queue] = connection.execute(select(func.max(table.c.synced_at))).scalar()
    return {"counts": counts, "oldest_open_at": {q: _aware(v) for q, v in oldest.items()},
            "last_synced_at": {q: _aware(v) for q, v in last.items()}}


def _aware(moment: datetime | None) -> datetime | None:
    """Aggregates bypass UTCDateTime's result processing: SQLite gives naive UTC (or text)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SqlPushRows:
    """The ``PushRows`` port on the store's engine (the service's own: on SQLite a second engine in
    the process would wait for the file lock inside C, blocking every green thread)."""

    def __init__(self, store: Any):
        self.store = store

    def claim_due(self, queues: Sequence[str], now: datetime, lease_until: datetime, limit: int) -> list[DueRow]:
        claimed: list[DueRow] = []
        with self.store.writing(), self.store.engine.connect() as connection:
            connection.execution_options(hgrip_write=True)
            with connection.begin():
                for queue in queues:
                    if len(claimed) >= limit:
                        break
                    rows = claim_due(connection, now, lease_until, limit - len(claimed), QUEUE_TABLES[queue])
                    claimed += [DueRow(queue, row.key, row.payload, row.correlation_id, row.attempts)
                                for row in rows]
        return claimed

    def rows(self, uow: UnitOfWork, queue: str, keys: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        return rows_of(uow.connection, keys, QUEUE_TABLES[queue])

    def apply(self, uow: UnitOfWork, changes: Sequence[RowChange]) -> None:
        _apply_all(uow.connection, changes)

    def numbers_known(self, uow: UnitOfWork, backup_numbers: Sequence[str]) -> set[str]:
        return known(uow.connection, backup_numbers)

    def numbers_committed(self, backup_numbers: Sequence[str]) -> set[str]:
        with single_statement(self.store.engine) as connection:
            return known(connection, backup_numbers)

    def sync_state(self, backup_number: str) -> Mapping[str, Any] | None:
        with self.store.engine.connect() as connection:
            return get(connection, backup_number)

    def owner_changes_of(self, backup_number: str) -> Sequence[Mapping[str, Any]]:
        with self.store.engine.connect() as connection:
            return owner_changes_of(connection, backup_number)

    def summary(self) -> Mapping[str, Any]:
        with self.store.engine.connect() as connection:
            return summary(connection)


def sql_ports(store: Any, clock: Callable[[], datetime] = utcnow) -> Ports:
    """The service's ``Ports``: its store, the push queues of its database, and a clock."""
    return Ports(store=store, rows=SqlPushRows(store), clock=clock)


def sql_pusher(store: Any, client: HgrgReceipts, lease_seconds: float, clock: Callable[[], datetime] = utcnow,
               **options: Any) -> Pusher:
    """A ``Pusher`` whose queues are this database's (``options``: policy, instance, rand)."""
    return Pusher(sql_ports(store, clock), client, lease_seconds, **options)
