"""What the projects use cases need from the world, as typed protocols: identity and the projects
read model (the event store, its unit of work and the request are the kernel's: ``hgrip_kernel.ports``).

The adapters implement them (SQLAlchemy read model, identity over nameko RPC); unit tests pass
in-memory fakes.
"""
from collections.abc import Collection, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from hgrip_kernel.envelope import Envelope
from hgrip_kernel.ports import EventStore


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


@dataclass(frozen=True)
class Ports:
    """The service's store, read model and peer, wired by the entrypoint (in-memory fakes in unit
    tests). A use case takes ``(ports, request, ...)``: the request (``hgrip_kernel.ports.Request``)
    gives the ids its events carry and its log; a use case that only reads takes ``ports`` alone."""
    store: EventStore
    db: Database
    identity: Identity
