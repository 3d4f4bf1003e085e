"""Writing, written once: a unit of work carrying the request's ids, with retries on a lost race, and
"save the aggregate and its read-model row" in the same transaction."""
from collections.abc import Callable
from typing import TypeVar

from hgrip_kernel.ports import Request, UnitOfWork

from ..domain.issued_code import IssuedCode
from .ports import CodeRecords, Ports

T = TypeVar("T")
WRITE_ATTEMPTS = 3   # verifying reloads and retries on a lost optimistic-concurrency race


def write(ports: Ports, request: Request, work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work(uow)`` in a unit of work carrying the request's ids (no actor: whoever holds the
    code is the actor); on a lost race reload and run it again."""
    return ports.store.write(work, attempts=WRITE_ATTEMPTS, correlation_id=request.correlation_id,
                             causation_id=request.causation_id)


def save_code(records: CodeRecords, uow: UnitOfWork, issued: IssuedCode, code_hash: str | None = None) -> None:
    """The code request's new events and its row (``records``: the mail or the SMS codes'), in the
    unit of work's transaction: a new code's row with its HMAC (``code_hash``), else the current
    code's failures, lock or verification."""
    uow.save(issued)
    if code_hash is not None:
        records.record_issued(uow, issued, code_hash)
    else:
        records.record_state(uow, issued)
