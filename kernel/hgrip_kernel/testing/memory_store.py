"""An event store in memory, for unit tests of use cases: the same calls as ``hgrip_kernel.store.EventStore``.

A unit of work stages its events and inbox marks and makes them visible only if the work returns; an
exception discards them, as a rolled-back transaction would. Events are checked against the published
contracts exactly as the real store checks them, so a use case cannot record an event a reader would refuse.
"""
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from ..contracts import registry as default_registry
from ..envelope import Envelope, check_envelope, utcnow
from ..errors import ConcurrencyError
from ..events import DomainEvent
from ..ids import time_ordered_id
from ..unit_of_work import AggregateUnitOfWork


class InMemoryUnitOfWork(AggregateUnitOfWork):
    connection = None   # no database: use cases reach read models through their own ports

    def __init__(self, store: "InMemoryEventStore", actor, correlation_id, causation_id):
        self.store = store
        self.actor = actor
        self.correlation_id = correlation_id or str(uuid.uuid4())
        self.causation_id = causation_id
        self.appended: list[Envelope] = []
        self.marked: set[tuple[str, str]] = set()

    def read_stream(self, stream_id: str) -> list[Envelope]:
        staged = [e for e in self.appended if e.stream_id == stream_id]
        return self.store.read_stream(stream_id) + staged

    def append(self, stream_type: str, stream_id: str, expected_version: int,
               new_events: Iterable[DomainEvent]) -> list[Envelope]:
        new_events = list(new_events)
        current = len(self.read_stream(stream_id))
        if new_events and current != expected_version:
            raise ConcurrencyError("concurrent_modification", "The record was changed by someone else.",
                                   "该记录同时被他人修改，请刷新后重试。",
                                   {"stream_id": stream_id, "expected_version": expected_version,
                                    "current_version": current})
        stored = []
        for offset, event in enumerate(new_events, start=1):
            envelope = Envelope(
                event_id=time_ordered_id(), event_type=event.type, schema_version=event.schema_version,
                source=self.store.source, stream_type=stream_type, stream_id=stream_id,
                stream_version=expected_version + offset, occurred_at=utcnow(), actor=self.actor,
                correlation_id=self.correlation_id, causation_id=self.causation_id, data=event.data)
            check_envelope(envelope)
            self.store.registry.validate(envelope.source, envelope.event_type, envelope.schema_version,
                                         envelope.data)
            stored.append(envelope)
        self.appended.extend(stored)
        return stored

    def first_time(self, consumer: str, event_id: str) -> bool:
        key = (consumer, event_id)
        if key in self.store.inbox or key in self.marked:
            return False
        self.marked.add(key)
        return True

    def first_times(self, consumer: str, event_ids) -> set[str]:
        return {event_id for event_id in dict.fromkeys(event_ids) if self.first_time(consumer, event_id)}


class InMemoryEventStore:
    def __init__(self, source: str, registry=default_registry):
        self.source = source
        self.registry = registry
        self.events: list[Envelope] = []
        self.inbox: set[tuple[str, str]] = set()

    @contextmanager
    def unit_of_work(self, actor: str | None = None, correlation_id: str | None = None,
                     causation_id: str | None = None):
        uow = InMemoryUnitOfWork(self, actor, correlation_id, causation_id)
        yield uow
        # Only reached when the work returned: commit.
        position = len(self.events)
        self.events.extend(e.with_position(position + n) for n, e in enumerate(uow.appended, start=1))
        self.inbox |= uow.marked

    def write(self, work: Callable[[InMemoryUnitOfWork], object], *, actor: str | None = None,
              correlation_id: str | None = None, causation_id: str | None = None, attempts: int = 3):
        with self.unit_of_work(actor=actor, correlation_id=correlation_id, causation_id=causation_id) as uow:
            return work(uow)

    def read_stream(self, stream_id: str) -> list[Envelope]:
        return [e for e in self.events if e.stream_id == stream_id]

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[Envelope]:
        return [e for e in self.events if (e.position or 0) > after_position][:limit]
