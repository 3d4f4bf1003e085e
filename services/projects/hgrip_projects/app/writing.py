"""Writing, written once: a unit of work carrying the request's ids, with retries on a lost race, and
"save the aggregate and its read-model row" in the same transaction."""
from collections.abc import Callable
from typing import Any, TypeVar

from hgrip_kernel.envelope import Envelope
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import Project
from .ports import Ports

T = TypeVar("T")
WRITE_ATTEMPTS = 5  # reload-and-retry when another writer (e.g. the other path of one transfer) won


def write(ports: Ports, request: Request, actor: str, work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work(uow)`` in a unit of work carrying the request's ids; on a lost race reload and run it again."""
    return ports.store.write(work, actor=actor, attempts=WRITE_ATTEMPTS, correlation_id=request.correlation_id,
                             causation_id=request.causation_id)


def save_project(ports: Ports, uow: UnitOfWork, project: Project) -> tuple[Envelope, dict[str, Any] | None]:
    """The project's new event and its read-model row, in the unit of work's transaction: the stored
    event, and the new row of a created project (None for a delegated one). A lost name race raises
    the refusal the read model's UNIQUE(owner_id, name) gives."""
    [stored] = uow.save(project)
    records = ports.db.within(uow)
    if stored.event_type == "ProjectCreated":
        return stored, records.apply_project_created(stored)
    records.apply_project_delegated(stored, project.state["name"])
    return stored, None
