"""What sending and checking a code share, e-mail or SMS: check → send → record, and check → record.

A code exists only in memory and in the mail or text message: the read model keeps an HMAC (keyed by
TOKEN_SECRET and the code's scope), events keep the expiry, logs keep neither.
"""
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from hgrip_kernel.errors import DomainError
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import code_matches, hash_code, new_code
from ..domain.issued_code import IssuedCode
from .ports import CodeRecords, Ports
from .writing import save_code, write

C = TypeVar("C", bound=IssuedCode)


def send_new_code(ports: Ports, request: Request, records: CodeRecords, aggregate_cls: type[C], stream_id: str,
                  scope: str, deliver: Callable[[str, datetime], None], issue: Callable[[C, datetime], None]) -> C:
    """Check → send → record, in one transaction: if the sending fails (``deliver`` raises), the
    rollback leaves no trace, so the user may retry at once; if it succeeds, the code is recorded
    with it. ``scope`` keys the send lock and the code's HMAC."""
    now = ports.clock()
    with ports.store.unit_of_work(correlation_id=request.correlation_id, causation_id=request.causation_id) as uow:
        # Claimed before loading: once we hold it, no other send for this scope is in flight.
        if not ports.send_guard.try_claim(uow, scope):
            raise aggregate_cls.refuse_concurrent_send(now)
        issued = uow.load(aggregate_cls, stream_id) or aggregate_cls(stream_id)
        issued.check_may_send(now)
        code = new_code()
        deliver(code, now)
        issue(issued, now)
        save_code(records, uow, issued, hash_code(ports.secret, scope, code))
    return issued


def check_code(ports: Ports, request: Request, records: CodeRecords, aggregate_cls: type[C], stream_id: str,
               scope: str, code: str) -> tuple[C, DomainError | None]:
    """``(request, refusal)``: the code checked against the stored HMAC and the outcome recorded;
    a refusal that changed something is returned (raise it), one that changed nothing is raised."""
    now = ports.clock()

    def work(uow: UnitOfWork) -> tuple[C, DomainError | None]:
        issued = uow.load(aggregate_cls, stream_id)
        if issued is None:
            raise aggregate_cls.refusals.not_requested()
        matches = code_matches(ports.secret, scope, code, records.stored_hash(uow, issued))
        refusal = issued.verify(matches, now)
        if issued.pending:
            save_code(records, uow, issued)
        return issued, refusal

    return write(ports, request, work)
