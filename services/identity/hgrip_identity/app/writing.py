"""Writing, written once: a unit of work carrying the request's ids, with retries on a lost race, and
"save the aggregate and its read-model row" in the same transaction."""
from collections.abc import Callable
from typing import TypeVar

from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import Account, Institution
from .ports import Ports

T = TypeVar("T")
WRITE_ATTEMPTS = 3             # reload-and-retry on a lost optimistic-concurrency race


def write(ports: Ports, request: Request, actor: str, work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work(uow)`` in a unit of work carrying the request's ids; on a lost race reload and run it again."""
    return ports.store.write(work, actor=actor, attempts=WRITE_ATTEMPTS, correlation_id=request.correlation_id,
                             causation_id=request.causation_id)


def save_institution(ports: Ports, uow: UnitOfWork, institution: Institution) -> None:
    """The institution's new events and its read-model row, in the unit of work's transaction."""
    uow.save(institution)
    ports.db.within(uow).project_institution(institution)


def save_account(ports: Ports, uow: UnitOfWork, account: Account) -> None:
    """The account's new events and its read-model row, in the unit of work's transaction."""
    uow.save(account)
    ports.db.within(uow).project_account(account)
