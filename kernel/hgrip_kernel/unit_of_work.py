"""What every unit of work does with an aggregate, written once for the PostgreSQL/SQLite store and
the in-memory one: load it by folding its stream, save it by appending its pending events."""
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext

from .aggregate import Aggregate
from .envelope import Envelope
from .events import DomainEvent


class AggregateUnitOfWork:
    """A unit of work's load/save; a store's unit of work gives ``read_stream`` and ``append``."""

    def read_stream(self, stream_id: str) -> list[Envelope]:
        raise NotImplementedError

    def append(self, stream_type: str, stream_id: str, expected_version: int,
               new_events: Iterable[DomainEvent]) -> list[Envelope]:
        raise NotImplementedError

    def appending_in_one(self) -> AbstractContextManager:
        """Appends inside the block written together when it ends (the database store: one INSERT for
        them all); a store that writes nothing per append (in memory) has nothing to gather."""
        return nullcontext()

    def load(self, aggregate_cls: type[Aggregate], stream_id: str):
        """The aggregate folded from its stream, or None when the stream is empty."""
        stored = self.read_stream(stream_id)
        return aggregate_cls.rehydrate(stream_id, stored) if stored else None

    def save(self, aggregate: Aggregate) -> list[Envelope]:
        """Append the aggregate's pending events at its version (optimistic concurrency)."""
        stored = self.append(aggregate.stream_type, aggregate.id, aggregate.version, aggregate.pending)
        aggregate.mark_saved()
        return stored
