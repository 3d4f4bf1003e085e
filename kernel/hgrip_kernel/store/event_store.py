"""Append-only event store with per-stream optimistic concurrency and a transactional outbox.

Everything a unit of work writes (events, outbox rows, projections, inbox marks) commits in one
database transaction, or none of it does. An event registered off the broker
(``registry.on_broker``) gets no outbox row: it is stored, never published.
"""
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager, nullcontext
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, cast, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from .. import faults
from ..contracts import registry as default_registry
from ..envelope import Envelope, check_envelope, utcnow
from ..errors import ConcurrencyError
from ..events import DomainEvent
from ..ids import time_ordered_id
from ..logging import get_logger
from ..unit_of_work import AggregateUnitOfWork
from .engine import write_lock
from .tables import events, inbox, outbox

log = get_logger("hgrip.store")


def _row_to_envelope(row) -> Envelope:
    """A stored event as written: checked on append (``check_envelope``), so not checked again here."""
    return Envelope(
        event_id=row.event_id, event_type=row.event_type, schema_version=row.schema_version,
        source=row.source, stream_type=row.stream_type, stream_id=row.stream_id,
        stream_version=row.stream_version, occurred_at=row.occurred_at, actor=row.actor,
        correlation_id=row.correlation_id, causation_id=row.causation_id, data=row.data,
        position=row.position)


# Built once: constructing and cache-keying the SELECT cost more than running it.
_READ_STREAM = (select(events).where(events.c.stream_id == bindparam("stream_id", type_=events.c.stream_id.type))
                .order_by(events.c.stream_version))


def read_stream(connection, stream_id: str) -> list[Envelope]:
    return [_row_to_envelope(row) for row in connection.execute(_READ_STREAM, {"stream_id": stream_id})]


class UnitOfWork(AggregateUnitOfWork):
    """One transaction: load aggregates, save them, update projections, mark consumed events."""

    def __init__(self, store: "EventStore", connection, actor, correlation_id, causation_id):
        self.store = store
        self.connection = connection
        self.actor = actor
        self.correlation_id = correlation_id or str(uuid.uuid4())
        self.causation_id = causation_id
        self.appended: list[Envelope] = []
        self._held: list[_Held] | None = None   # inside ``appending_in_one``: appends not written yet

    def read_stream(self, stream_id: str) -> list[Envelope]:
        return read_stream(self.connection, stream_id)

    @contextmanager
    def appending_in_one(self):
        """Appends inside the block are checked and stamped at once (with the ids the unit of work has
        at each append) but written when it ends: every event by one INSERT, their outbox rows by one
        more, after one look at the versions of the streams that already exist — for a batch of many
        streams in one unit of work, instead of a round trip per event. Inside the block the envelopes
        ``append`` answers have no position yet and ``read_stream`` does not see them. Nested: the
        outermost block writes."""
        if self._held is not None:
            yield
            return
        self._held = []
        try:
            yield
        finally:   # held appends are dropped if the block fails
            held, self._held = self._held, None
        self._write_held(held)

    def append(self, stream_type: str, stream_id: str, expected_version: int,
               new_events: Iterable[DomainEvent]) -> list[Envelope]:
        new_events = list(new_events)
        if not new_events:
            return []
        # A new stream needs no look: UNIQUE(stream, version) decides a race. An existing one is
        # looked at once, before its first new event (on PostgreSQL inside that event's INSERT).
        if self._held is not None:
            return self._hold(stream_type, stream_id, expected_version, new_events)
        look_in_insert = bool(expected_version) and self.connection.dialect.name == "postgresql"
        if expected_version and not look_in_insert:
            self._check_version(stream_id, expected_version)
        now = utcnow()
        stored = [self._insert(envelope, now, outboxed, if_at=look_in_insert and offset == 1)
                  for offset, (envelope, outboxed) in enumerate(
                      self._stamped(stream_type, stream_id, expected_version, new_events, now), start=1)]
        self.appended.extend(stored)
        return stored

    def _stamped(self, stream_type: str, stream_id: str, expected_version: int,
                 new_events: list[DomainEvent], now) -> list[tuple[Envelope, bool]]:
        """The events as envelopes, each checked as a reader would check it, and whether it goes on
        the broker (gets an outbox row)."""
        stamped = []
        for offset, event in enumerate(new_events, start=1):
            envelope = Envelope(
                event_id=time_ordered_id(), event_type=event.type, schema_version=event.schema_version,
                source=self.store.source, stream_type=stream_type, stream_id=stream_id,
                stream_version=expected_version + offset, occurred_at=now, actor=self.actor,
                correlation_id=self.correlation_id, causation_id=self.causation_id, data=event.data)
            check_envelope(envelope)  # refused here if a reader would refuse it
            self.store.registry.validate(envelope.source, envelope.event_type,
                                         envelope.schema_version, envelope.data)
            stamped.append((envelope, self.store.registry.on_broker(envelope.source, envelope.event_type)))
        return stamped

    def _hold(self, stream_type: str, stream_id: str, expected_version: int,
              new_events: list[DomainEvent]) -> list[Envelope]:
        """``append`` inside ``appending_in_one``: stamped now, written when the block ends."""
        assert self._held is not None
        now = utcnow()
        stamped = self._stamped(stream_type, stream_id, expected_version, new_events, now)
        self._held.append(_Held(stream_id, expected_version, [envelope for envelope, _ in stamped],
                                [envelope for envelope, outboxed in stamped if outboxed], now))
        return [envelope for envelope, _ in stamped]

    def _write_held(self, held: "list[_Held]") -> None:
        """The held appends in two statements (three with outbox rows), after one look at the streams
        that exist. The look is enough: versions only grow, so a writer who raced past it meets this
        INSERT on UNIQUE(stream, version)."""
        if not held:
            return
        expected: dict[str, int] = {}   # each stream's version before its first held append
        reached: dict[str, int] = {}    # and after its last one so far
        for append in held:
            if append.stream_id in reached and reached[append.stream_id] != append.expected_version:
                raise _concurrency_error(append.stream_id, append.expected_version, reached[append.stream_id])
            expected.setdefault(append.stream_id, append.expected_version)
            reached[append.stream_id] = append.expected_version + len(append.envelopes)
        existing = [stream_id for stream_id, version in expected.items() if version]
        current = dict(self.connection.execute(_VERSIONS, {"stream_ids": existing}).all()) if existing else {}
        for stream_id in existing:   # (a new stream's race is UNIQUE's to decide)
            if current.get(stream_id, 0) != expected[stream_id]:
                raise _concurrency_error(stream_id, expected[stream_id], current.get(stream_id, 0))
        envelopes = [envelope for append in held for envelope in append.envelopes]
        try:
            positions = dict(self.connection.execute(
                _INSERT_EVENTS, [{c: getattr(envelope, c) for c in _EVENT_COLUMNS} for envelope in envelopes]).all())
            outboxed = [{"position": positions[envelope.event_id], "event_id": envelope.event_id,
                         "created_at": append.now} for append in held for envelope in append.outboxed]
            if outboxed:
                self.connection.execute(_INSERT_OUTBOX, outboxed)
        except IntegrityError as exc:   # a writer raced past the look: the whole unit of work is retried
            raise _concurrency_error(held[0].stream_id, held[0].expected_version, None) from exc
        self.appended.extend(envelope.with_position(positions[envelope.event_id]) for envelope in envelopes)

    def _check_version(self, stream_id: str, expected_version: int) -> None:
        current = self.connection.execute(
            select(func.coalesce(func.max(events.c.stream_version), 0))
            .where(events.c.stream_id == stream_id)).scalar_one()
        if current != expected_version:  # behind (lost a race) or ahead (a gap): both refused
            raise _concurrency_error(stream_id, expected_version, current)

    def _insert(self, envelope: Envelope, now, outboxed: bool, if_at: bool = False) -> Envelope:
        """``outboxed``: with its outbox row (the relay publishes it). ``if_at`` (PostgreSQL): the
        INSERT itself inserts nothing unless the stream's last version is the one before this
        event's (one round trip instead of a look and an insert)."""
        row = {c: getattr(envelope, c) for c in _EVENT_COLUMNS}
        try:
            if self.connection.dialect.name == "postgresql":
                # One round trip for the event and its outbox row (a data-modifying CTE), if it has one.
                statement = _PG_INSERTS[(outboxed, if_at)]
                if outboxed:
                    row["outbox_created_at"] = now
                if not if_at:
                    position = self.connection.execute(statement, row).scalar_one()
                else:
                    position = self.connection.execute(
                        statement, {**row, "at_stream_id": envelope.stream_id,
                                    "at_version": envelope.stream_version - 1}).scalar()
                    if position is None:  # behind or ahead: the look the INSERT made, made again to report it
                        self._check_version(envelope.stream_id, envelope.stream_version - 1)
                        raise _concurrency_error(envelope.stream_id, envelope.stream_version - 1, None)
            else:
                position = self.connection.execute(_INSERT_EVENT, row).inserted_primary_key[0]
                if outboxed:
                    self.connection.execute(_INSERT_OUTBOX, {"position": position, "event_id": envelope.event_id,
                                                             "created_at": now})
        except IntegrityError as exc:
            # A lost race aborts the whole unit of work (callers retry it whole), so no savepoint.
            raise _concurrency_error(envelope.stream_id, envelope.stream_version - 1, None) from exc
        return envelope.with_position(position)

    def first_time(self, consumer: str, event_id: str) -> bool:
        """Record that ``consumer`` applies ``event_id``; False if it already did (a duplicate).

        A concurrent duplicate blocks on the primary key until the first commits, then sees it.
        """
        values = {"consumer": consumer, "event_id": event_id, "processed_at": utcnow()}
        return self.connection.execute(_FIRST_TIME[self.connection.dialect.name], values).rowcount == 1

    def first_times(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """``first_time`` for a batch, in one statement (an INSERT of every row, RETURNING the new)."""
        now = utcnow()
        rows = [{"consumer": consumer, "event_id": event_id, "processed_at": now}
                for event_id in dict.fromkeys(event_ids)]
        if not rows:
            return set()
        return set(self.connection.execute(_FIRST_TIMES[self.connection.dialect.name], rows).scalars())


class _Held(NamedTuple):
    """One append inside ``appending_in_one``, stamped and checked, waiting for the block's end."""
    stream_id: str
    expected_version: int
    envelopes: list[Envelope]
    outboxed: list[Envelope]   # those that get an outbox row
    now: object


_EVENT_COLUMNS = [c.name for c in events.columns if c.name != "position"]


def _event_statement(if_at: bool = False):
    """INSERT the event (PostgreSQL). ``if_at``: only if its stream's last version is ``at_version``
    (else no row)."""
    if if_at:
        at = (select(func.coalesce(func.max(events.c.stream_version), 0))
              .where(events.c.stream_id == bindparam("at_stream_id", type_=events.c.stream_id.type))
              .scalar_subquery())
        values = (select(*[cast(bindparam(c, type_=events.c[c].type), events.c[c].type) for c in _EVENT_COLUMNS])
                  .where(at == bindparam("at_version", type_=Integer())))
        event = insert(events).from_select(_EVENT_COLUMNS, values)
    else:
        event = insert(events).values({c: bindparam(c, type_=events.c[c].type) for c in _EVENT_COLUMNS})
    return event


def _event_with_outbox_statement(if_at: bool = False):
    """One statement: INSERT the event and, from its RETURNING, its outbox row (PostgreSQL).
    ``if_at`` as in ``_event_statement``: no event, no outbox row."""
    inserted = _event_statement(if_at).returning(events.c.position, events.c.event_id).cte("e")
    return (insert(outbox)
            .from_select(["position", "event_id", "created_at"],
                         select(inserted.c.position, inserted.c.event_id,
                                bindparam("outbox_created_at", type_=outbox.c.created_at.type)))
            .returning(outbox.c.position))


# Built once, by (outboxed, if_at): an off-broker event is its INSERT alone.
_PG_INSERTS = {(True, False): _event_with_outbox_statement(), (True, True): _event_with_outbox_statement(if_at=True),
               (False, False): _event_statement().returning(events.c.position),
               (False, True): _event_statement(if_at=True).returning(events.c.position)}
_INSERT_EVENT = insert(events)
# Many rows, one statement (SQLAlchemy's "insertmanyvalues"), each row's position by its event id.
_INSERT_EVENTS = insert(events).returning(events.c.event_id, events.c.position)
_VERSIONS = (select(events.c.stream_id, func.max(events.c.stream_version))
             .where(events.c.stream_id.in_(bindparam("stream_ids", expanding=True)))
             .group_by(events.c.stream_id))
# Built once, not per message: constructing and cache-keying a statement cost more than running it.
_FIRST_TIME = {name: dialect.insert(inbox).values(
    {c: bindparam(c, type_=inbox.c[c].type) for c in ("consumer", "event_id", "processed_at")}).on_conflict_do_nothing()
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
_FIRST_TIMES = {name: statement.returning(inbox.c.event_id)
                for name, statement in _FIRST_TIME.items()}
_INSERT_OUTBOX = insert(outbox)


def _concurrency_error(stream_id, expected, current) -> ConcurrencyError:
    return ConcurrencyError(
        "concurrent_modification",
        "The record was changed by someone else at the same time; please reload and try again.",
        "该记录同时被他人修改，请刷新后重试。",
        {"stream_id": stream_id, "expected_version": expected, "current_version": current})


class EventStore:
    def __init__(self, engine, source: str, registry=default_registry,
                 on_commit: Callable[[list[Envelope]], None] | None = None):
        self.engine = engine
        self.source = source
        self.registry = registry
        self._on_commit = [on_commit] if on_commit else []

    def add_commit_listener(self, listener: Callable[[list[Envelope]], None]) -> None:
        self._on_commit.append(listener)

    def writing(self):
        """The per-process writer lock (SQLite only; PostgreSQL needs none)."""
        lock = write_lock(self.engine)
        return lock if lock is not None else nullcontext()

    @contextmanager
    def unit_of_work(self, actor: str | None = None, correlation_id: str | None = None,
                     causation_id: str | None = None):
        with self.writing(), self.engine.connect() as connection:
            connection.execution_options(hgrip_write=True)
            with connection.begin():
                uow = UnitOfWork(self, connection, actor, correlation_id, causation_id)
                yield uow
            faults.point("after_commit")
        if uow.appended:
            for listener in self._on_commit:
                listener(uow.appended)

    def write(self, work: Callable[[UnitOfWork], object], *, actor: str | None = None,
              correlation_id: str | None = None, causation_id: str | None = None, attempts: int = 3):
        """Run ``work(uow)`` in a unit of work; after a lost race, reload and run it again (bounded)."""
        for attempt in range(1, attempts + 1):
            try:
                with self.unit_of_work(actor=actor, correlation_id=correlation_id,
                                       causation_id=causation_id) as uow:
                    return work(uow)
            except ConcurrencyError:
                if attempt == attempts:
                    raise
                log.info("write_retry_after_race", source=self.source, attempt=attempt)

    def read_stream(self, stream_id: str) -> list[Envelope]:
        with self.engine.connect() as connection:
            return read_stream(connection, stream_id)

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[Envelope]:
        """Events in global order (by position) for readers that replay the whole store."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(events).where(events.c.position > after_position)
                .order_by(events.c.position).limit(limit))
            return [_row_to_envelope(row) for row in rows]
