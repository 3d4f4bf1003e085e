"""What the projects use cases need from the world, as typed protocols.

The adapters implement them (SQLAlchemy read model, identity over nameko RPC); unit tests pass
in-memory fakes.
"""
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from hgrip_kernel.aggregate import Aggregate
from hgrip_kernel.envelope import Envelope

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


class UnitOfWork(Protocol):
    def load(self, aggregate_cls: type[A], stream_id: str) -> A | None: ...

    def save(self, aggregate: Aggregate) -> list[Envelope]: ...

    def first_time(self, consumer: str, event_id: str) -> bool:
        """Mark the event as applied by ``consumer`` (committed with the work); False if it was before."""
        ...


class EventStore(Protocol):
    def unit_of_work(self, actor: str | None = None, correlation_id: str | None = None,
                     causation_id: str | None = None) -> AbstractContextManager[Any]: ...

    def write(self, work: Callable[[Any], T], *, actor: str | None = None, correlation_id: str | None = None,
              causation_id: str | None = None, attempts: int = 3) -> T:
        """Run ``work(uow)`` in one transaction; after a lost race reload and run it again (bounded)."""
        ...


class Log(Protocol):
    def info(self, event: str, **fields: Any) -> Any: ...

    def warning(self, event: str, **fields: Any) -> Any: ...


class Request(Protocol):
    """The ids every event of this request carries, and its log."""
    correlation_id: str | None
    causation_id: str | None
    log: Log


class Identity(Protocol):
    def get_account(self, account_id: str) -> dict:
        """The account as identity.get_account answers it; identity's refusals pass through."""
        ...


class ProjectRecords(Protocol):
    """The ``projects`` read model, seen through one connection (inside a unit of work: its transaction).

    A row is a mapping of the table's columns.
    """

    def names_taken(self, owner_id: str, names: Iterable[str], except_ids: Collection[str] = ()) -> list[str]:
        """Which of ``names`` the owner already uses (in no particular order), not counting ``except_ids``."""
        ...

    def apply_project_created(self, envelope: Envelope) -> dict:
        """Insert the row of a ProjectCreated; a lost name race raises ``project_name_taken``."""
        ...

    def apply_project_delegated(self, envelope: Envelope, name: str) -> None:
        """Give the row its new owner and unit; a name clash raises ``delegate_has_project_named``."""
        ...

    def list_for_owner(self, owner_id: str) -> list[Any]: ...

    def get_for_owner(self, owner_id: str, project_id: str) -> Any | None: ...


class Database(Protocol):
    """Where the read model lives: read outside a unit of work, or inside one in the same transaction."""

    def reading(self) -> AbstractContextManager[ProjectRecords]: ...

    def within(self, uow: Any) -> ProjectRecords: ...
