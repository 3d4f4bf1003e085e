"""Rebuilding read models from the event store: every event of a read model's streams folded, stream
by stream, into rows; the tables made equal to them in one transaction (rows missing inserted, rows
differing updated, rows no stream gives deleted, equal rows left alone).

Each service declares its read models (``ReadModel``: its tables, the stream types they fold, and the
fold itself, which reuses the service's own row-writing rules) under the ``hgrip.projections`` entry
point; ``hgrip rebuild`` runs them.

Concurrency with a running service: the rebuild's transaction first takes ``LOCK TABLE events, <the
read model's tables> IN EXCLUSIVE MODE`` (PostgreSQL). That lock waits for every transaction that has
already appended an event or written one of those tables to commit, then holds new writers back until
the rebuild commits (they resume then, on the rebuilt rows); plain readers (SELECT) go on reading the
old rows meanwhile. So no write is lost and the rebuild sees every committed event. On SQLite the
transaction is BEGIN IMMEDIATE under the process's write lock: writers of every process wait on the
database's lock (busy_timeout) as they do for any other writer.

Fast: events are read with a server-side cursor in batches (``yield_per``), folded in memory one stream
at a time, compared with the live rows (read once, in memory), and the differences written with
executemany in batches: no round trip per event, no write for a row that is already right.
"""
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, update

from ..logging import get_logger
from .engine import write_lock
from .tables import events

log = get_logger("hgrip.replay")

# The columns a fold reads (not the whole envelope: less to decode per event).
EVENT_COLUMNS = (events.c.stream_id, events.c.stream_version, events.c.event_type, events.c.data,
                 events.c.event_id, events.c.occurred_at, events.c.correlation_id)
FETCH_BATCH = 5000    # events per server-side cursor fetch
WRITE_BATCH = 2000    # rows per executemany
LOCK_TIMEOUT = "60s"  # how long the rebuild waits for running writers before giving up (PostgreSQL)

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
    events: int = 0
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
    with lock if lock is not None else nullcontext(), engine.connect() as connection:
        connection.execution_options(hgrip_write=True)   # SQLite: BEGIN IMMEDIATE
        transaction = connection.begin()
        started = time.perf_counter()
        try:
            _lock_tables(connection, read_models)
            for model in read_models:
                _rebuild_one(connection, model, report)
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


def _lock_tables(connection, read_models: list[ReadModel]) -> None:
    if connection.dialect.name != "postgresql":
        return   # SQLite: BEGIN IMMEDIATE already holds the database's write lock
    names = ["events"] + [table.name for model in read_models for table in model.tables]
    preparer = connection.dialect.identifier_preparer
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    # EXCLUSIVE: conflicts with every writer (ROW EXCLUSIVE), not with plain readers (ACCESS SHARE).
    connection.exec_driver_sql(
        f"LOCK TABLE {', '.join(preparer.quote(name) for name in names)} IN EXCLUSIVE MODE")


def stream_events(connection, stream_types: Iterable[str]):
    """Every event of ``stream_types`` (one type after the other, in the order given), grouped by
    stream in stream order: (stream_id, [events])."""
    for stream_type in stream_types:
        query = (select(*EVENT_COLUMNS).where(events.c.stream_type == stream_type)
                 .order_by(events.c.stream_id, events.c.stream_version))
        result = connection.execute(query, execution_options={"yield_per": FETCH_BATCH})
        current: str | None = None
        batch: list[Any] = []
        for row in result:
            if row.stream_id != current:
                if batch:
                    yield current, batch
                current, batch = row.stream_id, []
            batch.append(row)
        if batch:
            yield current, batch


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

    def add(self, table: Table, row: Row) -> None:
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
        if len(self.inserts[name]) >= WRITE_BATCH or len(self.updates[name]) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        for table in self.model.tables:   # parents first: a child's parent row is written before it
            name = table.name
            if self.inserts[name]:
                if self.connection.dialect.driver == "psycopg2":
                    _insert_values(self.connection, table, self.inserts[name])
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


def _insert_values(connection, table: Table, rows: list[Row]) -> None:
    """psycopg2: the rows as multi-row INSERTs built by ``execute_values`` (its C quoting, no per-row
    statement compilation), each value through its column's bind processing (aware UTC datetimes,
    JSON) as SQLAlchemy would send it."""
    from psycopg2.extras import execute_values

    columns = list(rows[0])
    preparer = connection.dialect.identifier_preparer
    processors = [table.c[column].type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
                  for column in columns]
    values = [tuple(value if process is None else process(value)
                    for value, process in zip((row[column] for column in columns), processors, strict=True))
              for row in rows]
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


def _rebuild_one(connection, model: ReadModel, report: RebuildReport) -> None:
    writer = _Writer(connection, model, report)
    # Only when every table is empty (a new or lost read model): a table merely without rows yet (no
    # filing so far) keeps its indexes, so its readers are never held.
    empty = all(not writer.live[table.name] for table in model.tables)
    deferred = _drop_secondary_indexes(connection, list(model.tables)) if empty else []
    for stream_id, stream in stream_events(connection, model.stream_types):
        report.streams += 1
        report.events += len(stream)
        for table, row in model.fold(stream_id, stream):
            writer.add(table, row)
    writer.flush()
    writer.delete_others()
    for definition in deferred:   # built once over every row: far cheaper than one row at a time
        connection.exec_driver_sql(definition)


def _drop_secondary_indexes(connection, tables: list[Table]) -> list[str]:
    """PostgreSQL, a read model's tables all found empty (a new read model, a lost one): drop their
    indexes that back no constraint for the fill, and answer the statements that create them again
    (same transaction; one build over every row is far cheaper than one insert at a time). DROP INDEX
    holds readers of those tables until the commit; they were empty."""
    if connection.dialect.name != "postgresql" or not tables:
        return []
    rows = connection.exec_driver_sql(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%(tables)s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        {"tables": [table.name for table in tables]}).all()
    for name, _ in rows:
        connection.exec_driver_sql(f"DROP INDEX {name}")
    return [definition for _, definition in rows]
