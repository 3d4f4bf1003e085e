"""The typed protocols every service's use cases (``app/``) take from the kernel: the event store, its
unit of work, and the request (the ids its events carry, and its log). Written once here: a service's
``app/ports.py`` holds only its own peers, clients and read models.

``hgrip_kernel.store.EventStore`` and ``hgrip_kernel.testing.memory_store.InMemoryEventStore`` both
implement ``EventStore``; the nameko ``RequestContext`` gives a ``Request``; unit tests pass
``hgrip_kernel.testing.fakes.FakeRequest``.
"""
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from .aggregate import Aggregate
from .envelope import Envelope
from .events import DomainEvent

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


class UnitOfWork(Protocol):
    # The database connection of the transaction: read models written through it commit with the
    # events. None in the in-memory store (read-model fakes ignore it).
    connection: Any

    def load(self, aggregate_cls: type[A], stream_id: str) -> A | None:
        """The aggregate folded from its stream, or None when the stream is empty."""
        ...

    def save(self, aggregate: Aggregate) -> list[Envelope]:
        """Append the aggregate's pending events (optimistic concurrency on its version)."""
        ...

    def append(self, stream_type: str, stream_id: str, expected_version: int,
               new_events: Iterable[DomainEvent]) -> list[Envelope]:
        """Append events to a stream that has no aggregate class (optimistic concurrency on ``expected_version``)."""
        ...

    def read_stream(self, stream_id: str) -> list[Envelope]:
        """The stream's events, with those this unit of work appended."""
        ...

    def appending_in_one(self) -> AbstractContextManager[Any]:
        """A block whose appends are written together at its end (a batch of many streams: one
        INSERT, not one per event); inside it, appended envelopes have no position yet."""
        ...

    def first_time(self, consumer: str, event_id: str) -> bool:
        """Mark the event as applied by ``consumer`` (committed with the work); False if it was before."""
        ...

    def first_times(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """``first_time`` for a batch of events at once: the ids not applied before."""
        ...


class EventStore(Protocol):
    def unit_of_work(self, actor: str | None = None, correlation_id: str | None = None,
                     causation_id: str | None = None) -> AbstractContextManager[Any]:
        """One transaction: the events, their outbox rows and the read-model rows commit together."""
        ...

    def write(self, work: Callable[[Any], T], *, actor: str | None = None, correlation_id: str | None = None,
              causation_id: str | None = None, attempts: int = 3) -> T:
        """Run ``work(uow)`` in a unit of work; after a lost race reload and run it again (bounded)."""
        ...

    def read_stream(self, stream_id: str) -> list[Envelope]:
        """A stream's committed events, oldest first."""
        ...


class Log(Protocol):
    """The request's bound logger (structlog's in the services): an event name and its fields."""

    def info(self, event: str, **fields: Any) -> Any: ...

    def warning(self, event: str, **fields: Any) -> Any: ...

    def error(self, event: str, **fields: Any) -> Any: ...


class Request(Protocol):
    """The request being served: the ids every event it records carries, and its log."""

    @property
    def correlation_id(self) -> str | None: ...

    @property
    def causation_id(self) -> str | None: ...

    @property
    def log(self) -> Log: ...
