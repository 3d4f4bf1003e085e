"""The typed protocols every service's use cases (``app/``) take from the kernel: the event store, its
unit of work, and the request (the ids its events carry, and its log).

``hgrip_kernel.store.EventStore`` and ``hgrip_kernel.testing.memory_store.InMemoryEventStore`` both
implement ``EventStore``; the nameko ``RequestContext`` gives a ``Request``. A service's own
``app/ports.py`` adds its peers and read models.
"""
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from .aggregate import Aggregate
from .envelope import Envelope

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


class UnitOfWork(Protocol):
    def load(self, aggregate_cls: type[A], stream_id: str) -> A | None:
        """The aggregate folded from its stream, or None when the stream is empty."""
        ...

    def save(self, aggregate: Aggregate) -> list[Envelope]:
        """Append the aggregate's pending events (optimistic concurrency on its version)."""
        ...

    def first_time(self, consumer: str, event_id: str) -> bool:
        """Mark the event as applied by ``consumer`` (committed with the work); False if it was before."""
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


class Log(Protocol):
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
