"""Rebuilding read models from the event store: every event of a read model's streams folded, stream
by stream, into rows; the tables made equal to them in one transaction (rows missing inserted, rows
differing updated, rows no stream gives deleted, equal rows left alone).

Each service declares its read models (``ReadModel``: its tables, the stream types they fold, and the
fold itself, which reuses the service's own row-writing rules) under the ``hgrip.projections`` entry
point; ``hgrip rebuild`` runs them.

Concurrency with a running service: the rebuild's transaction first takes ``LOCK TABLE events, <the
read model's tables> IN EXCLUSIVE MODE`` (PostgreSQL), all of them at once (NOWAIT, tried again until
no transaction that has appended an event or written or locked one of those tables is left: never
holding some while waiting for others, which would deadlock with a writer that takes them in the
other order), then holds new writers back until the rebuild commits (they resume then, on the rebuilt
rows); plain readers (SELECT) go on reading the old rows meanwhile. So no write is lost and the
rebuild sees every committed event. On SQLite the transaction is BEGIN IMMEDIATE under the process's
write lock: writers of every process wait on the database's lock (busy_timeout) as they do for any
other writer.

Fast: events are read with a server-side cursor in batches (``yield_per``) as plain named tuples,
once for all the read models that fold the same streams, folded in memory one stream at a time,
compared with the live rows (read once, in memory), and the differences written in batches (new rows
by COPY on PostgreSQL, executemany otherwise): no round trip per event, no write for a row that is
already right. A read model whose tables are all empty is filled with its secondary indexes and the
foreign keys between its tables dropped, then made again over every row in the same transaction
(``_defer_secondary_work``).
"""
import gc
import io
import time
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    Time,
    TypeDecorator,
    Uuid,
    and_,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import OperationalError

from ..logging import get_logger
from .engine import write_lock
from .tables import events

log = get_logger("hgrip.replay")

# The columns a fold reads (not the whole envelope: less to decode per event).
EVENT_COLUMNS = (events.c.stream_id, events.c.stream_version, events.c.event_type, events.c.data,
                 events.c.event_id, events.c.occurred_at, events.c.correlation_id)
# One event as a fold sees it: a plain named tuple (its fields read far faster than a Row's).
Event = namedtuple("Event", [column.name for column in EVENT_COLUMNS])  # type: ignore[misc]
FETCH_BATCH = 5000    # events per server-side cursor fetch
WRITE_BATCH = 2000    # rows per COPY or executemany
LOCK_WAIT_SECONDS = 60   # how long the rebuild waits for running writers before giving up (PostgreSQL)
LOCK_TIMEOUT = f"{LOCK_WAIT_SECONDS}s"

Row = dict[str, Any]
Fold = Callable[[str, list[Any]], Iterable[tuple[Table, Row]]]


@dataclass(frozen=True)
class ReadModel:
    """One read model: ``tables`` (parents before children), the ``stream_types`` it folds, and
    ``fold(stream_id, events)``: the rows of one stream (events: stream_id, stream_version, event_type,
    data, event_id, occurred_at, correlation_id, in stream order); streams of the first type first.

    ``carried``: per table, columns the events do not tell (the time a row was written, a lease), kept
    from the live row of the same primary key when that row reflects the same stream ``version``.
    ``keys``: per table without a primary key, the columns that identify a row (a unique constraint)."""
    name: str
    tables: tuple[Table, ...]
    stream_types: tuple[str, ...]
    fold: Fold
    carried: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def key_of(self, table: Table) -> list[str]:
        key = list(self.keys.get(table.name, ())) or [column.name for column in table.primary_key]
        if not key:
            raise ValueError(f"table {table.name} has no primary key: name its key columns in ReadModel.keys")
        return key


@dataclass(frozen=True)
class Projections:
    """A service's read models, and the tables a rebuild leaves alone with the reason why."""
    service: str
    read_models: tuple[ReadModel, ...]
    left_alone: Mapping[str, str]

    def named(self, names: Iterable[str] | None) -> list[ReadModel]:
        if not names:
            return list(self.read_models)
        known = {model.name: model for model in self.read_models}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise KeyError(", ".join(unknown))
        return [known[name] for name in names]


@dataclass
class RebuildReport:
    read_models: list[str]
    events: int = 0    # events read: once, however many of the read models fold them
    streams: int = 0
    rows: dict[str, dict[str, int]] = field(default_factory=dict)   # table -> inserted/updated/deleted/unchanged
    locked_seconds: float = 0.0   # how long writers were held back (the whole transaction)

    @property
    def changed(self) -> int:
        """Rows inserted, updated or deleted (0: the read models already equalled their events)."""
        return sum(counts["inserted"] + counts["updated"] + counts["deleted"] for counts in self.rows.values())

    @property
    def events_per_second(self) -> float:
        return self.events / self.locked_seconds if self.locked_seconds else 0.0


def rebuild(engine, read_models: list[ReadModel], check_only: bool = False) -> RebuildReport:
    """Make the rows of ``read_models`` equal to the fold of their streams, in one transaction.
    ``check_only``: count what would change, then roll back (nothing written)."""
    report = RebuildReport([model.name for model in read_models])
    if not read_models:
        return report
    lock = write_lock(engine)
    with _no_cycle_collection(), lock if lock is not None else nullcontext(), engine.connect() as connection:
        connection.execution_options(hgrip_write=True)   # SQLite: BEGIN IMMEDIATE
        transaction = connection.begin()
        started = time.perf_counter()
        try:
            _lock_tables(connection, read_models)
            for group in _sharing_streams(read_models):
                _rebuild_group(connection, group, report)
        except BaseException:
            transaction.rollback()
            raise
        if check_only:
            transaction.rollback()
        else:
            transaction.commit()
        report.locked_seconds = time.perf_counter() - started
    log.info("read_models_checked" if check_only else "read_models_rebuilt", read_models=report.read_models,
             events=report.events, streams=report.streams, rows=report.rows,
             seconds=round(report.locked_seconds, 3))
    return report


@contextmanager
def _no_cycle_collection():
    """The cycle collector paused for the rebuild: its hundreds of thousands of short-lived rows,
    events and aggregates set it off hundreds of times (0.2–0.35 s of a 100 000-event fill, each full
    pass walking every live object) and it finds nothing: a rebuild leaves no cyclic garbage (measured:
    gc.collect() after one answers 0). Reference counting frees them as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _lock_tables(connection, read_models: list[ReadModel]) -> None:
    """EXCLUSIVE on the events and the read models' tables, all at once or none: never held while
    waiting. Writers take these tables in either order (registry-sync's record locks its rows FOR UPDATE
    before it appends; others append, then write rows), so a LOCK TABLE that waits, holding the tables
    it already has, would deadlock with one of them (seen: ``deadlock detected``). Each attempt is NOWAIT
    in a savepoint; a table in use undoes the attempt, and the next comes after a short pause, until
    ``LOCK_WAIT_SECONDS`` (then lock_not_available, as a timeout would be)."""
    if connection.dialect.name != "postgresql":
        return   # SQLite: BEGIN IMMEDIATE already holds the database's write lock
    names = ["events"] + [table.name for model in read_models for table in model.tables]
    preparer = connection.dialect.identifier_preparer
    # EXCLUSIVE: conflicts with every writer (ROW EXCLUSIVE, ROW SHARE), not with plain readers.
    statement = f"LOCK TABLE {', '.join(preparer.quote(name) for name in names)} IN EXCLUSIVE MODE NOWAIT"
    deadline, pause = time.monotonic() + LOCK_WAIT_SECONDS, 0.002
    while True:
        attempt = connection.begin_nested()
        try:
            connection.exec_driver_sql(statement)
        except OperationalError as error:
            attempt.rollback()   # what this attempt locked is let go
            if getattr(error.orig, "pgcode", None) != "55P03" or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
            continue
        attempt.commit()   # RELEASE SAVEPOINT: the locks stay with the transaction
        return


def stream_events(connection, stream_types: Iterable[str]):
    """Every event of ``stream_types`` (one type after the other, in the order given), grouped by
    stream in stream order: (stream_id, [Event])."""
    for stream_type in stream_types:
        query = (select(*EVENT_COLUMNS).where(events.c.stream_type == stream_type)
                 .order_by(events.c.stream_id, events.c.stream_version))
        result = connection.execute(query, execution_options={"yield_per": FETCH_BATCH})
        for stream_id, stream in groupby(map(Event._make, result), itemgetter(0)):
            yield stream_id, list(stream)


class _Writer:
    """The folded rows compared with the live ones: missing rows inserted (parents first), differing
    rows updated, rows no stream gives deleted (children first), equal rows left as they are; each
    kind written with executemany in batches."""

    def __init__(self, connection, model: ReadModel, report: RebuildReport):
        self.connection, self.model, self.report = connection, model, report
        self.primary = {table.name: model.key_of(table) for table in model.tables}
        self.live = {table.name: _live_rows(connection, table, self.primary[table.name])
                     for table in model.tables}
        self.seen: dict[str, set[tuple]] = {table.name: set() for table in model.tables}
        self.inserts: dict[str, list[Row]] = {table.name: [] for table in model.tables}
        self.updates: dict[str, list[Row]] = {table.name: [] for table in model.tables}
        for table in model.tables:
            report.rows.setdefault(table.name, {"inserted": 0, "updated": 0, "deleted": 0, "unchanged": 0})

    def add(self, table: Table, row: Row) -> bool:
        """Take one folded row; answer whether a batch is full (time to flush)."""
        name = table.name
        key = tuple(row[column] for column in self.primary[name])
        live = self.live[name].get(key)
        carried = self.model.carried.get(name)
        if carried and live is not None and live.get("version") == row.get("version"):
            row = {**row, **{column: live[column] for column in carried}}
        self.seen[name].add(key)
        if live is None:
            self.inserts[name].append(row)
        elif any(live[column] != value for column, value in row.items()):
            self.updates[name].append(row)
        else:
            self.report.rows[name]["unchanged"] += 1
        return len(self.inserts[name]) >= WRITE_BATCH or len(self.updates[name]) >= WRITE_BATCH

    def flush(self) -> None:
        for table in self.model.tables:   # parents first: a child's parent row is written before it
            name = table.name
            if self.inserts[name]:
                if self.connection.dialect.driver == "psycopg2":
                    _insert_psycopg2(self.connection, table, self.inserts[name])
                else:
                    self.connection.execute(insert(table), self.inserts[name])
                self.report.rows[name]["inserted"] += len(self.inserts[name])
                self.inserts[name] = []
            if self.updates[name]:
                self.connection.execute(_update_statement(table, self.primary[name]),
                                        [{f"k_{column}": value for column, value in row.items()}
                                         for row in self.updates[name]])
                self.report.rows[name]["updated"] += len(self.updates[name])
                self.updates[name] = []

    def delete_others(self) -> None:
        """The live rows no stream gave (children first)."""
        for table in reversed(self.model.tables):
            name, primary = table.name, self.primary[table.name]
            gone = [dict(zip(primary, key, strict=True)) for key in self.live[name].keys() - self.seen[name]]
            for start in range(0, len(gone), WRITE_BATCH):
                where = and_(*(table.c[column] == bindparam(f"k_{column}") for column in primary))
                batch = gone[start:start + WRITE_BATCH]
                self.connection.execute(delete(table).where(where),
                                        [{f"k_{k}": v for k, v in key.items()} for key in batch])
            self.report.rows[name]["deleted"] += len(gone)


def _insert_psycopg2(connection, table: Table, rows: list[Row]) -> None:
    """psycopg2: the rows by COPY when every column has a plain text form, else by multi-row INSERTs."""
    columns = list(rows[0])
    values = _bound_values(connection, table, columns, rows)
    if all(_copyable(table.c[column].type) for column in columns):
        _copy(connection, table, columns, values)
    else:
        _insert_values(connection, table, columns, values)


def _bound_values(connection, table: Table, columns: list[str], rows: list[Row]) -> list:
    """Each row's values in ``columns`` order, each through its column's bind processing (aware UTC
    datetimes, JSON text) as SQLAlchemy would send it."""
    dialect = connection.dialect
    processors = [(index, process) for index, column in enumerate(columns)
                  if (process := table.c[column].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    pick = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    if not processors:
        return [pick(row) for row in rows]
    values = []
    for row in rows:
        value = list(pick(row))
        for index, process in processors:
            value[index] = process(value[index])
        values.append(value)
    return values


# Column types whose bound values (str, int, float, Decimal, bool, datetime, date, time, UUID, JSON
# text) PostgreSQL reads back from their str(): COPY's text format needs no other conversion.
_COPY_TYPES = (String, Integer, Float, Numeric, Boolean, DateTime, Date, Time, Uuid, JSON)
_NULL = "\\N"


def _copyable(type_) -> bool:
    while isinstance(type_, TypeDecorator):   # what the decorated type binds is its impl's kind of value
        type_ = type_.impl_instance
    return isinstance(type_, _COPY_TYPES)


def _copy_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy(connection, table: Table, columns: list[str], values: list) -> None:
    """COPY … FROM STDIN (text format) from one in-memory buffer: the server parses no statement and
    plans nothing per row, far less work than INSERT … VALUES for the same rows."""
    tabs = len(columns) - 1
    lines = []
    for value in values:
        line = "\t".join([_NULL if v is None else str(v) for v in value])
        # Escape only a line that needs it: a field holding a tab, newline, return or backslash (the
        # line then has more of them than its separators and NULL markers).
        if line.count("\t") != tabs or line.count("\\") != value.count(None) or "\n" in line or "\r" in line:
            line = "\t".join([_NULL if v is None else _copy_escaped(str(v)) for v in value])
        lines.append(line)
    lines.append("")
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(column) for column in columns)
    # psycopg2 refuses COPY under a wait callback (eventlet's green connections): the COPY of one batch
    # blocks this process's other green threads instead (milliseconds; the connection is a blocking one).
    from psycopg2.extensions import get_wait_callback, set_wait_callback

    waiting = get_wait_callback()
    set_wait_callback(None)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {preparer.format_table(table)} ({names}) FROM STDIN",
                           io.StringIO("\n".join(lines)))
    finally:
        cursor.close()
        set_wait_callback(waiting)


def _insert_values(connection, table: Table, columns: list[str], values: list) -> None:
    """Multi-row INSERTs built by psycopg2's ``execute_values`` (its C quoting, no per-row statement
    compilation)."""
    from psycopg2.extras import execute_values

    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(column) for column in columns)
    statement = f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES %s"  # nosec B608 # our table's names
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        execute_values(cursor, statement, values, page_size=1000)
    finally:
        cursor.close()


def _update_statement(table: Table, primary: list[str]):
    """UPDATE every other column of the row with this primary key (parameters ``k_<column>``)."""
    return (update(table).where(*(table.c[column] == bindparam(f"k_{column}") for column in primary))
            .values({column.name: bindparam(f"k_{column.name}") for column in table.columns
                     if column.name not in primary}))


def _live_rows(connection, table: Table, primary: list[str]) -> dict[tuple, Row]:
    """primary key -> the live row (every column), as the rebuild compares them."""
    return {tuple(row[column] for column in primary): dict(row)
            for row in connection.execute(select(table)).mappings()}


def _sharing_streams(read_models: list[ReadModel]) -> list[list[ReadModel]]:
    """The read models grouped by the streams they fold (the same stream types in the same order), in
    the order given: each group's events are read and decoded once for all of its read models."""
    groups: dict[tuple[str, ...], list[ReadModel]] = {}
    for model in read_models:
        groups.setdefault(tuple(model.stream_types), []).append(model)
    return list(groups.values())


def _rebuild_group(connection, models: list[ReadModel], report: RebuildReport) -> None:
    """Read models folding the same streams: each stream read once and folded by every one of them."""
    writers = [_Writer(connection, model, report) for model in models]
    deferred: list[str] = []
    for writer in writers:
        # Only when every table is empty (a new or lost read model): a table merely without rows yet (no
        # filing so far) keeps its indexes, so its readers are never held.
        if all(not rows for rows in writer.live.values()):
            deferred += _defer_secondary_work(connection, list(writer.model.tables))
    for stream_id, stream in stream_events(connection, models[0].stream_types):
        report.streams += 1
        report.events += len(stream)
        full = False
        for writer in writers:
            for table, row in writer.model.fold(stream_id, stream):
                full = writer.add(table, row) or full
        if full:
            _flush(writers)
    _flush(writers)
    for writer in reversed(writers):   # children first, as the read models were given
        writer.delete_others()
    for statement in deferred:   # each built or checked once over every row: far cheaper than row by row
        connection.exec_driver_sql(statement)


def _flush(writers: list[_Writer]) -> None:
    """Every writer's batches, in the order the read models were given (a parent before its children)."""
    for writer in writers:
        writer.flush()


def _defer_secondary_work(connection, tables: list[Table]) -> list[str]:
    """PostgreSQL, a read model's tables all found empty (a new read model, a lost one): drop their
    indexes that back no constraint, and the foreign keys between them, for the fill; answer the
    statements that make them again (same transaction): one index build over every row is far cheaper
    than one insert at a time, and adding a foreign key checks every row in one query instead of one
    query per row inserted (a row that breaks it fails the rebuild as the insert would have). DROP
    INDEX and DROP CONSTRAINT hold readers of those tables until the commit; they were empty.
    Primary keys and unique constraints stay: checked row by row as the rows go in."""
    if connection.dialect.name != "postgresql" or not tables:
        return []
    names = {"tables": [table.name for table in tables]}
    indexes = connection.exec_driver_sql(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%(tables)s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", names).all()
    # Only keys whose both ends are among these tables: another table is neither locked nor emptied.
    foreign_keys = connection.exec_driver_sql(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%(tables)s::regclass[]) "
        "AND confrelid = ANY(%(tables)s::regclass[]) ORDER BY conrelid, conname", names).all()
    for table, name, _ in foreign_keys:
        connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        connection.exec_driver_sql(f"DROP INDEX {name}")
    return ([definition for _, definition in indexes]
            + [f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}" for table, name, definition in foreign_keys])
